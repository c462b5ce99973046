"""The organisers' console at /admin: sign-in, feed health, groups, weeks, coverage, duplicates, moderation."""
