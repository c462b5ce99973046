"""Calendar Hub: gathers member groups' published calendars into weeks of action and republishes them.

The package has a folder per stage, in the order the data flows: `store/` (every SQL statement), `ingest/`
(fetch, parse, store), `catalogue/` (merge, place, weeks), `publish/` (ICS, Atom, JSON), `console/` (the
organisers' domain) and `web/` (the public site and the console's pages); see CONTRIBUTING.md.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
