"""The organisers' console at /admin: sign-in, groups and feeds, weeks, moderation, join requests, sent-in events."""

__all__ = ["accounts", "auth", "coverage", "dashboard", "duplicates", "moderation", "preview", "requests",
           "submissions", "weeks"]
