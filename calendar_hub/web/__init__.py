"""The web layer: the app factory, the public site (`public`) and the organisers' console (`console`)."""

__all__ = ["app", "common", "console", "cors", "event_links", "headers", "present", "public", "query", "responses"]
