"""The organisers' domain, without the web: groups and feeds, accounts, joining, submissions, planning, and more."""

from __future__ import annotations

__all__ = ["accounts", "coverage", "duplicates", "groups", "held", "joining", "moderation", "planning", "preview",
           "submission_form", "submissions"]
