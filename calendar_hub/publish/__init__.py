"""Publishers: turn sequences of `Listing` into the hub's public outputs (ICS, Atom, JSON, GeoJSON)."""

from __future__ import annotations

__all__ = ["api", "atom", "groups", "ics"]
