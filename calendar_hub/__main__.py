"""`python -m calendar_hub` runs the command line."""

from __future__ import annotations

from calendar_hub.cli import main

raise SystemExit(main())
