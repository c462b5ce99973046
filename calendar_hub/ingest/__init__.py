"""Ingest: registry -> fetch -> parse -> store (refresh, the parsers, discovery, following links, geocoding)."""
