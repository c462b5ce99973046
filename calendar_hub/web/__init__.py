"""The web layer: the app factory, public pages and the published feeds."""
