"""Database engines and schema migrations (Alembic), for SQLite by default and PostgreSQL.

`make_engine(url)` sets SQLite up for several processes (WAL, a busy timeout);
`upgrade(engine)` brings the schema to the newest migration.
"""

from __future__ import annotations

import functools
import shlex
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub.errors import ConfigError

__all__ = ["Engine", "Session", "commit_unless_taken", "make_engine", "normalise_url", "ping", "unavailable", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain `postgresql://` and `postgres://` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, busy_seconds: float = 30.0) -> Engine:
    """An engine for `url`; raises ConfigError for a URL SQLAlchemy cannot use.

    On SQLite a write waits up to `busy_seconds` for another process's lock, then raises the driver's
    "database is locked" (`unavailable` puts it in words).
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _check_sqlite_file(url)
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": busy_seconds, "check_same_thread": False})
            sa.event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_ms=int(busy_seconds * 1000)))
        else:
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except (sa.exc.ArgumentError, ImportError) as e:
        raise ConfigError(f"cannot use database URL {url!r}: {e}") from e
    return engine


def _check_sqlite_file(url: str) -> None:
    """Raise ConfigError, saying what to do, when a SQLite URL's file cannot be made: its folder is missing, or
    the path is a folder.  (SQLite itself says only "unable to open database file".)"""
    try:
        database = sa.engine.make_url(url).database
    except sa.exc.ArgumentError as e:
        raise ConfigError(f"cannot use database URL {url!r}: {e}") from e
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.is_dir():
        raise ConfigError(f"the SQLite database {path} is a folder: give CALENDAR_HUB_DATABASE_URL a file in it, "
                          f"such as sqlite:///{path / 'calendar-hub.db'}")
    if not path.parent.is_dir():
        raise ConfigError(f"the folder {path.parent} for the SQLite database does not exist: create it (mkdir -p "
                          f"{shlex.quote(str(path.parent))}) or point CALENDAR_HUB_DATABASE_URL at a folder that does")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    # WAL lets `serve` read while a separate `refresh` process writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs the package's migrations on `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database's schema to the newest migration (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


def ping(engine: Engine) -> int:
    """1 when the database answers a trivial query; raises the driver's error when it does not."""
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT 1")).scalar_one())


def unavailable(error: BaseException) -> str | None:
    """Plain words when `error` is the database being locked by another process or out of reach; else None."""
    if not isinstance(error, sa.exc.OperationalError):
        return None
    detail = str(error.orig if error.orig is not None else error).strip().splitlines()[0][:200]
    if "locked" in detail or "busy" in detail:
        return (f"the database stayed locked by another process ({detail}); nothing was lost: try again when "
                "it is free, or give CALENDAR_HUB_DATABASE_BUSY_SECONDS more time")
    return (f"the database cannot be reached ({detail}): check that its server is running and that "
            "CALENDAR_HUB_DATABASE_URL names it, with the right host, port, user and database")


def commit_unless_taken(session: Session) -> bool:
    """Commit; False (rolled back) when a unique constraint says another process wrote the same row first."""
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        return False
    return True
