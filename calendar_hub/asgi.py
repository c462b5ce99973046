"""The ASGI entry point for `uvicorn calendar_hub.asgi:app`, configured from the environment."""

from __future__ import annotations

import os

from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app

app = create_app(Settings.from_env(os.environ))
