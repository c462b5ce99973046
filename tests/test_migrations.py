"""The migrations make the schema the models describe and move existing rows right, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

import calendar_hub.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from calendar_hub.store.engine import alembic_config, make_engine
from calendar_hub.store.models import LoginFailure, User, UTCDateTime


def insert_feed(connection: sa.Connection, group_id: int, url: str, origin: str) -> None:
    """A feed row as the schema before 0009 held it, written with plain SQL (the models are newer)."""
    connection.execute(sa.text(
        "INSERT INTO feed (group_id, url, kind, origin, active, etag, last_modified, content_hash, "
        "http_status, error, events_found, items_skipped, problems, notice, consecutive_failures, "
        "fetch_count, not_modified_count, lease_owner, created_at) VALUES (:g, :u, '', :o, true, '', '', "
        "'', NULL, '', 0, 0, '[]', '', 0, 0, 0, '', CURRENT_TIMESTAMP)"), {"g": group_id, "u": url, "o": origin})


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    # Only real differences count: server defaults added for existing rows are not compared.
    assert differences == []


def test_groups_made_in_the_console_before_origins_existed_become_the_consoles(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.downgrade(config, "0005")
    with engine.begin() as connection:
        for slug, origins in (("from-files", ["registry", "web"]), ("joined", ["web"]), ("no-feeds", [])):
            group_id = connection.execute(sa.text(
                "INSERT INTO hub_group (slug, name, website, home, region, contact, active, created_at, updated_at) "
                "VALUES (:slug, :slug, '', '', '', '', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"),
                {"slug": slug}).scalar_one()
            for i, origin in enumerate(origins):
                insert_feed(connection, group_id, f"https://{slug}.example.org/{i}.ics", origin)
    command.upgrade(config, "head")
    with engine.connect() as connection:
        origins = dict(connection.execute(sa.text("SELECT slug, origin FROM hub_group")).all())
    engine.dispose()
    assert origins == {"from-files": "registry", "joined": "console", "no-feeds": "registry"}


def test_feeds_stored_before_private_existed_are_guarded(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.downgrade(config, "0008")
    with engine.begin() as connection:
        group_id = connection.execute(sa.text(
            "INSERT INTO hub_group (slug, name, website, home, region, contact, active, origin, created_at, "
            "updated_at) VALUES ('g', 'G', '', '', '', '', true, 'registry', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) "
            "RETURNING id")).scalar_one()
        for i, origin in enumerate(["registry", "web"]):
            insert_feed(connection, group_id, f"https://g.example.org/{i}.ics", origin)
    command.upgrade(config, "0009")
    with engine.connect() as connection:
        rows = sorted(connection.execute(sa.text("SELECT origin, private FROM feed")).all())
    command.downgrade(config, "0008")   # and back again
    command.upgrade(config, "head")
    engine.dispose()
    assert [(origin, bool(private)) for origin, private in rows] == [("registry", False), ("web", False)]


def test_accounts_get_a_session_generation_and_failures_become_one_counter_per_key(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.downgrade(config, "0009")
    failures = sa.table("login_failure", sa.column("key", sa.String()), sa.column("at", UTCDateTime()))
    first = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO hub_user (email, password_hash, role, active, created_at) "
            "VALUES ('olu@hub.test', 'x', 'organiser', true, CURRENT_TIMESTAMP)"))
        connection.execute(sa.insert(failures), [
            {"key": "email:olu@hub.test", "at": first + timedelta(minutes=n)} for n in range(3)] + [
            {"key": "ip:203.0.113.5", "at": first}])
    command.upgrade(config, "head")
    with Session(engine) as session:
        [user] = session.exec(select(User)).all()
        counters = {c.key: (c.attempts, c.first_at, c.last_at, c.wait_until)
                    for c in session.exec(select(LoginFailure)).all()}
    assert user.session_generation == 0
    assert counters == {"email:olu@hub.test": (3, first, first + timedelta(minutes=2), None),
                        "ip:203.0.113.5": (1, first, first, None)}
    command.downgrade(config, "0009")                   # and back: one failure per key, at its last attempt
    with engine.connect() as connection:
        rows = sorted(connection.execute(sa.select(failures.c.key, failures.c.at)).all())
    command.upgrade(config, "head")
    engine.dispose()
    assert rows == [("email:olu@hub.test", first + timedelta(minutes=2)), ("ip:203.0.113.5", first)]
