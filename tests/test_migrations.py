"""The migrations make the schema the models describe and move existing rows right, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import calendar_hub.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from calendar_hub.store.engine import alembic_config, make_engine


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
                connection.execute(sa.text(
                    "INSERT INTO feed (group_id, url, kind, origin, active, etag, last_modified, content_hash, "
                    "http_status, error, events_found, items_skipped, problems, notice, consecutive_failures, "
                    "fetch_count, not_modified_count, lease_owner, created_at) VALUES (:g, :u, '', :o, true, '', '', "
                    "'', NULL, '', 0, 0, '[]', '', 0, 0, 0, '', CURRENT_TIMESTAMP)"),
                    {"g": group_id, "u": f"https://{slug}.example.org/{i}.ics", "o": origin})
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
            connection.execute(sa.text(
                "INSERT INTO feed (group_id, url, kind, origin, active, etag, last_modified, content_hash, "
                "http_status, error, events_found, items_skipped, problems, notice, consecutive_failures, "
                "fetch_count, not_modified_count, lease_owner, created_at) VALUES (:g, :u, '', :o, true, '', '', "
                "'', NULL, '', 0, 0, '[]', '', 0, 0, 0, '', CURRENT_TIMESTAMP)"),
                {"g": group_id, "u": f"https://g.example.org/{i}.ics", "o": origin})
    command.upgrade(config, "0009")
    with engine.connect() as connection:
        rows = sorted(connection.execute(sa.text("SELECT origin, private FROM feed")).all())
    command.downgrade(config, "0008")   # and back again
    command.upgrade(config, "head")
    engine.dispose()
    assert [(origin, bool(private)) for origin, private in rows] == [("registry", False), ("web", False)]
