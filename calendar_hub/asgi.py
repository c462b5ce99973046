"""The ASGI entry point for `uvicorn calendar_hub.asgi:app`, configured from the environment.

`calendar-hub serve` starts uvicorn believing forwarded headers only from CALENDAR_HUB_TRUSTED_PROXIES.
Under uvicorn directly, say the same with `--forwarded-allow-ips` (uvicorn itself believes 127.0.0.1 by
default), or `--no-proxy-headers` when no proxy is in front: otherwise a visitor on this machine could
choose the address that sign-in and form limits count.
"""

from __future__ import annotations

import os

from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app

app = create_app(Settings.from_env(os.environ))
