"""Calendar Hub: gathers member groups' published calendars into weeks of action and republishes them."""

from __future__ import annotations

__version__ = "0.1.0"
