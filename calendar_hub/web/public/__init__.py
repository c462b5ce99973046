"""The public site: pages, the published outputs, and the /join and /submit forms."""

__all__ = ["events", "join", "outputs", "pages", "site", "submit", "subscribe", "weeks"]
