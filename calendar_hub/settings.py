"""The hub's one settings object, read from `CALENDAR_HUB_*` environment variables.

No other module reads the environment: everything is handed a `Settings`.
Every setting is listed in `SETTINGS_DOC` and in the README's configuration table
(a test keeps the two in step).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_hub import __version__
from calendar_hub.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(name: str, fallback: str) -> Path:
    """A data folder inside an installed wheel, else the one at the top of a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / fallback


# variable suffix -> (field name, default shown in docs, meaning)
SETTINGS_DOC: dict[str, tuple[str, str, str]] = {
    "DATABASE_URL": ("database_url", "sqlite:///calendar-hub.db",
                     "SQLAlchemy URL of the database; `postgresql+psycopg://...` for PostgreSQL."),
    "BASE_URL": ("base_url", "http://127.0.0.1:8000",
                 "Public address of the hub, used in feed links, UIDs and the User-Agent."),
    "TIMEZONE": ("timezone", "Europe/London",
                 "Zone for floating times without X-WR-TIMEZONE, for all-day days and for pages."),
    "WINDOW_PAST_DAYS": ("window_past_days", "30", "How far back recurrences are expanded and events kept."),
    "WINDOW_FUTURE_DAYS": ("window_future_days", "400", "How far ahead recurrences are expanded."),
    "FETCH_CONCURRENCY": ("fetch_concurrency", "20", "Feeds fetched at once."),
    "FETCH_CONNECT_TIMEOUT": ("fetch_connect_timeout", "10", "Seconds to connect to a feed's server."),
    "FETCH_READ_TIMEOUT": ("fetch_read_timeout", "20", "Seconds to wait for each read from a feed's server."),
    "FETCH_TOTAL_TIMEOUT": ("fetch_total_timeout", "60", "Seconds a whole fetch may take."),
    "FETCH_MAX_BYTES": ("fetch_max_bytes", "10000000", "Largest feed body accepted, in bytes."),
    "FETCH_MAX_REDIRECTS": ("fetch_max_redirects", "5", "Redirects followed per fetch."),
    "FETCH_PRIVATE_ADDRESSES": ("fetch_private_addresses", "false",
                                "Whether addresses that arrive through the web (joining groups, links inside "
                                "feeds) may point at private, loopback or link-local hosts. Only for a hub "
                                "whose groups all sit on one private network."),
    "FOLLOW_LINKS": ("follow_links", "30",
                     "Event pages read per feed when its items carry no event date, only a link; 0 turns it off."),
    "REFRESH_INTERVAL": ("refresh_interval", "3600", "Seconds between successful fetches of one feed."),
    "PARSE_WORKERS": ("parse_workers", "0", "Processes that parse feeds; 0 means one per core."),
    "SERVE_REFRESH": ("serve_refresh", "true", "Whether `serve` refreshes due feeds in the background."),
    "TILE_URL": ("tile_url", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "Map tile URL template."),
    "TILE_ATTRIBUTION": ("tile_attribution", "&copy; OpenStreetMap contributors",
                         "Attribution shown on the map for the tiles."),
    "TEMPLATES_DIR": ("templates_dir", "(bundled)", "Folder of Jinja2 templates, for a deployment's own look."),
    "CHANGE_CHECK_SECONDS": ("change_check_seconds", "1",
                             "How often a web process checks the database for newly stored events."),
    "GEOCODER": ("geocoder", "",
                 "Online geocoder for location lines the offline places cannot place: empty (off) or "
                 "`nominatim`. Only refreshes use it, never page requests."),
    "GEOCODER_URL": ("geocoder_url", "https://nominatim.openstreetmap.org",
                     "Address of the Nominatim server the geocoder asks."),
    "GEOCODER_USER_AGENT": ("geocoder_user_agent", "",
                            "User-Agent sent to the geocoder, naming the hub and a contact address, as "
                            "Nominatim's usage policy asks; required when the geocoder is on."),
    "SECRET_KEY": ("secret_key", "",
                   "Secret that signs the organisers' console session cookies: a long random string, the same "
                   "for every web process. `serve` refuses to start without one; `demo` makes its own."),
    "GEOCODER_PER_SECOND": ("geocoder_per_second", "1",
                            "Most geocoder requests a second, over every process sharing the database."),
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable about a hub; build it with `Settings.from_env`."""

    database_url: str = "sqlite:///calendar-hub.db"
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/London"
    window_past_days: int = 30
    window_future_days: int = 400
    fetch_concurrency: int = 20
    fetch_connect_timeout: float = 10.0
    fetch_read_timeout: float = 20.0
    fetch_total_timeout: float = 60.0
    fetch_max_bytes: int = 10_000_000
    fetch_max_redirects: int = 5
    fetch_private_addresses: bool = False
    follow_links: int = 30
    refresh_interval: int = 3600
    parse_workers: int = 0
    serve_refresh: bool = True
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "&copy; OpenStreetMap contributors"
    templates_dir: Path = dataclasses.field(default_factory=lambda: _bundled("templates", "templates"))
    change_check_seconds: float = 1.0
    geocoder: str = ""
    geocoder_url: str = "https://nominatim.openstreetmap.org"
    geocoder_user_agent: str = ""
    geocoder_per_second: float = 1.0
    secret_key: str = dataclasses.field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `CALENDAR_HUB_*` variables; raises ConfigError for a value of the wrong kind."""
        values: dict[str, object] = {}
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        for suffix, (name, _default, _meaning) in SETTINGS_DOC.items():
            raw = environ.get("CALENDAR_HUB_" + suffix)
            if raw is None or raw == "":
                continue
            kind = types[name]
            try:
                if kind == "int":
                    values[name] = int(raw)
                elif kind == "float":
                    values[name] = float(raw)
                elif kind == "bool":
                    values[name] = _boolean(raw)
                elif kind == "Path":
                    values[name] = Path(raw)
                else:
                    values[name] = raw
            except ValueError as e:
                raise ConfigError(f"CALENDAR_HUB_{suffix}={raw!r}: {e}") from e
        settings = cls(**values)  # type: ignore[arg-type]
        settings.zone  # noqa: B018  (fail early on an unknown zone)
        return settings

    def replace(self, **changes: object) -> Settings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def zone(self) -> ZoneInfo:
        """The hub's time zone."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ConfigError(f"unknown time zone {self.timezone!r}") from e

    @property
    def user_agent(self) -> str:
        """The User-Agent sent with every fetch: names the hub and where to find it."""
        return f"CalendarHub/{__version__} (+{self.base_url.rstrip('/')}/about; feed aggregator)"

    @property
    def static_dir(self) -> Path:
        """The hub's own CSS and scripts."""
        return _bundled("static", "static")


def demo_registry_dir() -> Path:
    """The demo registry: `feeds/demo` in a checkout, bundled inside the wheel otherwise."""
    return _bundled("demo_registry", "feeds/demo")


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")
