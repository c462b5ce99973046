"""Publishers: turn sequences of `Listing` into the hub's public outputs (ICS, Atom, JSON, GeoJSON)."""
