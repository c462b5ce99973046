"""The hub's one settings object, read from `CALENDAR_HUB_*` environment variables.

No other module reads the environment: everything is handed a `Settings`. Each setting is declared once, as a
field of `Settings` with its default, its variable and its meaning; `SETTINGS_DOC` and the README's configuration
table (`settings_table()`, which a test holds the README to) are made from those declarations.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_hub import __version__
from calendar_hub.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
SMTP_SECURITY = ("starttls", "tls", "none")
LOG_FORMATS = ("text", "json")


def _bundled(name: str, fallback: str) -> Path:
    """A data folder inside an installed wheel, else the one at the top of a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / fallback


def _setting(default: Any, env: str, meaning: str, *, shown: str | None = None) -> Any:
    """One setting, declared once: its default, its variable (after `CALENDAR_HUB_`) and what it means.

    `shown` is how the README writes the default when the value itself would not say it well.
    """
    metadata = {"env": env, "meaning": meaning, "shown": shown}
    if callable(default):
        return dataclasses.field(default_factory=default, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable about a hub; build it with `Settings.from_env`."""

    database_url: str = _setting(
        "sqlite:///calendar-hub.db", "DATABASE_URL",
        "SQLAlchemy URL of the database; `postgresql+psycopg://...` for PostgreSQL.")
    database_busy_seconds: float = _setting(
        30.0, "DATABASE_BUSY_SECONDS",
        "How long a SQLite write waits for another process's lock before the command gives up with one line.")
    base_url: str = _setting(
        "http://127.0.0.1:8000", "BASE_URL",
        "Public address of the hub, used in feed links, UIDs and the User-Agent. Unset, `serve` uses the address it "
        "listens on (`--host`, `--port`) and says so when it starts; set it to the address visitors use.")
    contact: str = _setting(
        "", "CONTACT",
        "How the people who run feeds' servers reach the hub's operator: an e-mail address or a web address. It is "
        "named in the User-Agent of every fetch and shown on /about.", shown="(empty: none)")
    timezone: str = _setting(
        "Europe/London", "TIMEZONE", "Zone for floating times without X-WR-TIMEZONE, for all-day days and for pages.")
    window_past_days: int = _setting(30, "WINDOW_PAST_DAYS", "How far back recurrences are expanded and events kept.")
    window_future_days: int = _setting(400, "WINDOW_FUTURE_DAYS", "How far ahead recurrences are expanded.")
    fetch_concurrency: int = _setting(20, "FETCH_CONCURRENCY", "Feeds fetched at once.")
    fetch_connect_timeout: float = _setting(10.0, "FETCH_CONNECT_TIMEOUT", "Seconds to connect to a feed's server.")
    fetch_read_timeout: float = _setting(
        20.0, "FETCH_READ_TIMEOUT", "Seconds to wait for each read from a feed's server.")
    fetch_total_timeout: float = _setting(60.0, "FETCH_TOTAL_TIMEOUT", "Seconds a whole fetch may take.")
    fetch_max_bytes: int = _setting(10_000_000, "FETCH_MAX_BYTES", "Largest feed body accepted, in bytes.")
    fetch_max_redirects: int = _setting(5, "FETCH_MAX_REDIRECTS", "Redirects followed per fetch.")
    fetch_private_addresses: bool = _setting(
        False, "FETCH_PRIVATE_ADDRESSES",
        "Whether every feed (the registry's, joining groups', the console's) and every link inside one may point "
        "at private, loopback or link-local hosts, redirects included. Only for a hub whose groups all sit on one "
        "private network; to allow one registry feed alone, give it `private = true` instead.")
    follow_links: int = _setting(
        30, "FOLLOW_LINKS",
        "Event pages read per feed when its items carry no event date, only a link; 0 turns it off.")
    refresh_interval: int = _setting(3600, "REFRESH_INTERVAL", "Seconds between successful fetches of one feed.")
    parse_workers: int = _setting(0, "PARSE_WORKERS", "Processes that parse feeds; 0 means one per core.")
    parse_seconds: float = _setting(
        30.0, "PARSE_SECONDS",
        "Seconds one feed or preview may take to be read in its worker process (on the CPU, and at most four times "
        "that on the clock); a calendar that takes longer fails its feed and the last good events stay. 0 for no "
        "limit.")
    parse_memory_mb: int = _setting(
        1024, "PARSE_MEMORY_MB",
        "Memory in MB one feed or preview may take to be read, on top of what its worker process holds (its address "
        "space, RLIMIT_AS); a calendar that needs more fails its feed and the last good events stay. 0 for no limit.")
    refresh_nice: int = _setting(
        19, "REFRESH_NICE",
        "Niceness (0 to 19) that `refresh` and every parse worker run at, so that web processes on the same cores "
        "keep the CPU while feeds refresh (19: refreshing takes what serving leaves); 0 leaves it as started.")
    serve_refresh: bool = _setting(True, "SERVE_REFRESH", "Whether `serve` refreshes due feeds in the background.")
    tile_url: str = _setting("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "TILE_URL", "Map tile URL template.")
    tile_attribution: str = _setting(
        "&copy; OpenStreetMap contributors", "TILE_ATTRIBUTION", "Attribution shown on the map for the tiles.")
    templates_dir: Path = _setting(
        lambda: _bundled("templates", "templates"), "TEMPLATES_DIR",
        "Folder of Jinja2 templates, for a deployment's own look.", shown="(bundled)")
    change_check_seconds: float = _setting(
        1.0, "CHANGE_CHECK_SECONDS",
        "How often a web process checks the database for newly stored events; 0 checks on every request, and a "
        "request that finds a change waits for the catalogue made for it.")
    stale_seconds: float = _setting(
        120.0, "STALE_SECONDS",
        "After a change, while a page or output is rebuilt, requests get the one built before if it is at most this "
        "many seconds old, so no request waits for a rebuild; 0 makes each wait for the newest.")
    geocoder: str = _setting(
        "", "GEOCODER",
        "Online geocoder for location lines the offline places cannot place: empty (off) or `nominatim`. Only "
        "refreshes use it, never page requests.", shown="(empty: off)")
    geocoder_url: str = _setting(
        "https://nominatim.openstreetmap.org", "GEOCODER_URL", "Address of the Nominatim server the geocoder asks.")
    geocoder_user_agent: str = _setting(
        "", "GEOCODER_USER_AGENT",
        "User-Agent sent to the geocoder, naming the hub and a contact address, as Nominatim's usage policy asks; "
        "required when the geocoder is on.")
    geocoder_per_second: float = _setting(
        1.0, "GEOCODER_PER_SECOND", "Most geocoder requests a second, over every process sharing the database.")
    trusted_proxies: str = _setting(
        "", "TRUSTED_PROXIES",
        "Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto `serve` believes: addresses or networks, "
        "comma-separated (`127.0.0.1, 10.0.0.0/8`). Empty: the connecting address is the visitor's, and forwarded "
        "headers are ignored.", shown="(empty: none)")
    smtp_host: str = _setting(
        "", "SMTP_HOST",
        "Mail relay that sends the e-mail digests and confirmations; empty, `send-digests` builds messages but "
        "sends none (they wait in the outbox).", shown="(empty: none)")
    smtp_port: int = _setting(587, "SMTP_PORT", "Port of the mail relay (587 for STARTTLS, 465 for TLS).")
    smtp_security: str = _setting(
        "starttls", "SMTP_SECURITY",
        "How the connection to the relay is protected: `starttls`, `tls` (TLS from the start) or `none` (only "
        "for a relay on the same machine).")
    smtp_user: str = _setting("", "SMTP_USER", "User name for the relay; empty: no login.", shown="(empty: none)")
    smtp_password: str = dataclasses.field(default="", repr=False, metadata={
        "env": "SMTP_PASSWORD", "shown": "(empty: none)", "meaning": "Password for the relay's user."})
    mail_from: str = _setting(
        "", "MAIL_FROM",
        "The From address of every message the hub sends, such as `Week of Action <events@example.org>`; "
        "required to send.", shown="(empty: none)")
    digest_weekday: int = _setting(
        3, "DIGEST_WEEKDAY", "Day the weekly digest is sent, in the hub's zone: 0 is Monday, 6 Sunday.")
    digest_hour: int = _setting(8, "DIGEST_HOUR", "Hour of that day (0 to 23, the hub's zone) from which it is sent.")
    mail_per_minute: int = _setting(60, "MAIL_PER_MINUTE", "Most messages sent to the relay in a minute.")
    alert_days: int = _setting(
        3, "ALERT_DAYS", "Days before a followed week of action starts that its followers are told it is coming.")
    secret_key: str = dataclasses.field(default="", repr=False, metadata={
        "env": "SECRET_KEY", "shown": None,
        "meaning": "Secret that signs the organisers' console session cookies: a long random string, the same for "
                   "every web process, at least 32 bytes: `python -c \"import secrets; "
                   "print(secrets.token_urlsafe(48))\"` makes one. `serve` refuses to start without one, with a "
                   "shorter one or with the example's; `demo` makes its own."})
    log_format: str = _setting(
        "text", "LOG_FORMAT",
        "How log lines are written: `text` (one line, `name=value` words) or `json` (one JSON object a line, for a "
        "log collector). Every feed refresh logs one line on the `calendar_hub.refresh` logger.")
    metrics_token: str = dataclasses.field(default="", repr=False, metadata={
        "env": "METRICS_TOKEN", "shown": "(empty: public)",
        "meaning": "Token Prometheus must send to read /metrics, as `Authorization: Bearer TOKEN`; empty, /metrics "
                   "is public (it holds counts and timings only, never a feed's address nor anything from a "
                   "request)."})

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `CALENDAR_HUB_*` variables; raises ConfigError for a value of the wrong kind."""
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            suffix, name, kind = field.metadata["env"], field.name, field.type
            raw = environ.get("CALENDAR_HUB_" + suffix)
            if raw is None or raw == "":
                continue
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
                raise ConfigError(_wrong_kind(field, raw)) from e
            value = values[name]
            if kind in ("int", "float") and isinstance(value, int | float) and value < 0:
                raise ConfigError(f"CALENDAR_HUB_{suffix}={raw!r} is below zero: give 0 or more, or leave it unset "
                                  f"for the default, {_shown(field).strip('`')}")
        settings = cls(**values)  # type: ignore[arg-type]
        settings.zone  # noqa: B018  (fail early on an unknown zone)
        settings.trusted_proxy_list  # noqa: B018  (and on a proxy that is no address)
        if settings.smtp_security not in SMTP_SECURITY:
            raise ConfigError(f"CALENDAR_HUB_SMTP_SECURITY={settings.smtp_security!r}: give starttls, tls or none")
        if settings.log_format not in LOG_FORMATS:
            raise ConfigError(f"CALENDAR_HUB_LOG_FORMAT={settings.log_format!r}: give text or json")
        if settings.refresh_nice > 19:
            raise ConfigError(f"CALENDAR_HUB_REFRESH_NICE={settings.refresh_nice}: give 0 to 19")
        if settings.digest_weekday > 6 or settings.digest_hour > 23:
            raise ConfigError("CALENDAR_HUB_DIGEST_WEEKDAY is 0 (Monday) to 6 (Sunday) and CALENDAR_HUB_DIGEST_HOUR "
                              "0 to 23")
        if not settings.contact.isascii():
            # It travels in the User-Agent header, whose value HTTP clients send as plain ASCII.
            raise ConfigError(f"CALENDAR_HUB_CONTACT={settings.contact!r}: use letters without accents "
                              "(an e-mail address or a web address in plain ASCII)")
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
    def trusted_proxy_list(self) -> tuple[str, ...]:
        """The trusted proxies as networks, canonical ("10.0.0.0/8", "127.0.0.1/32"); raises ConfigError."""
        networks: list[str] = []
        for item in self.trusted_proxies.split(","):
            if not item.strip():
                continue
            try:
                networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError as e:
                raise ConfigError(f"CALENDAR_HUB_TRUSTED_PROXIES: {item.strip()!r} is no address or network") from e
        return tuple(networks)

    @property
    def user_agent(self) -> str:
        """The User-Agent sent with every fetch: names the hub, where to read about it and whom to contact."""
        contact = " ".join(self.contact.replace(";", " ").replace(")", " ").split())
        reach = f"; {contact}" if contact else ""
        return f"CalendarHub/{__version__} (+{self.base_url.rstrip('/')}/about{reach}; feed aggregator)"

    @property
    def contact_link(self) -> str:
        """The contact as a link: mailto: for an e-mail address, the address itself for an http(s) one, else ""."""
        contact = self.contact.strip()
        if contact.startswith(("http://", "https://")):
            return contact
        if "@" in contact and " " not in contact:
            return "mailto:" + contact.removeprefix("mailto:")
        return ""

    @property
    def static_dir(self) -> Path:
        """The hub's own CSS and scripts."""
        return _bundled("static", "static")


def _shown(field: dataclasses.Field[Any]) -> str:
    """A setting's default as the README writes it: `30`, `false`, `Europe/London`, or words such as (empty)."""
    if field.metadata["shown"]:
        return str(field.metadata["shown"])
    value = field.default
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


# variable suffix -> (field name, default as the README shows it, meaning), made from the declarations above
SETTINGS_DOC: dict[str, tuple[str, str, str]] = {
    field.metadata["env"]: (field.name, _shown(field), field.metadata["meaning"])
    for field in dataclasses.fields(Settings)
}


def settings_table() -> str:
    """The README's configuration table, in Markdown, made from the declarations (a test holds the README to it)."""
    rows = [f"| `CALENDAR_HUB_{env}` | {shown} | {meaning} |" for env, (_n, shown, meaning) in SETTINGS_DOC.items()]
    return "\n".join(["| variable | default | meaning |", "| --- | --- | --- |", *rows]) + "\n"


def demo_registry_dir() -> Path:
    """The demo registry: `feeds/demo` in a checkout, bundled inside the wheel otherwise."""
    return _bundled("demo_registry", "feeds/demo")


_KINDS_IN_WORDS = {"int": ("is not a whole number", "a whole number such as {} (the default)"),
                   "float": ("is not a number", "a number such as {} (the default)"),
                   "bool": ("is neither true nor false", "true or false (the default is {})")}


def _wrong_kind(field: dataclasses.Field[Any], raw: str) -> str:
    """One line for a variable whose value is not of its setting's kind, saying what to give instead."""
    what, instead = _KINDS_IN_WORDS.get(str(field.type), ("cannot be used", "another value (the default is {})"))
    return (f"CALENDAR_HUB_{field.metadata['env']}={raw!r} {what}: set it to "
            f"{instead.format(_shown(field).strip('`'))}, or leave it unset")


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")
