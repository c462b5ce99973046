"""What one read of /metrics' database figures costs: `store.hub_figures` over many feeds and a long fetch log.

    python -m benchmarks.metrics --database postgresql+psycopg://postgres@127.0.0.1:5432/test [--feeds 10000]
                                 [--fetches 200]

Makes a schema of its own (dropped afterwards) holding `--feeds` feeds with `--fetches` fetch-log rows each (an
hourly feed keeps 2,160 in its 90 days), then times five reads and prints the best and the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from calendar_hub import clock, store
from calendar_hub.store import make_engine, normalise_url, upgrade

FEEDS_SQL = """
INSERT INTO feed (group_id, url, kind, origin, private, active, etag, last_modified, content_hash, http_status, error,
                  events_found, items_skipped, problems, notice, consecutive_failures, fetch_count, not_modified_count,
                  moved_to, moved_count, moved_from, lease_owner, created_at, last_attempt_at)
SELECT 1, 'https://example.org/' || i, '', 'registry', false, true, '', '', '', 200, '', 0, 0, '[]', '', 0, 0, 0, '',
       0, '', '', now(), timestamp with time zone '2026-12-01 00:00+00' + ((:fetches - 1) || ' hours')::interval
FROM generate_series(1, :feeds) i"""
LOG_SQL = """
INSERT INTO fetch_log (feed_id, at, outcome, http_status, duration_ms, bytes, events, message)
SELECT f, timestamp with time zone '2026-12-01 00:00+00' + (h || ' hours')::interval,
       (ARRAY['stored', 'not_modified', 'unchanged', 'failed'])[1 + (f + h) % 4], 200, (f * 7 + h) % 3000, 1000, 10, ''
FROM generate_series(1, :feeds) f, generate_series(0, :fetches - 1) h"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get("CALENDAR_HUB_TEST_DATABASE_URL", ""),
                        help="a PostgreSQL URL (a schema is made in it and dropped)")
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--fetches", type=int, default=200, help="fetch-log rows per feed")
    args = parser.parse_args()
    if not args.database.startswith("postgresql"):
        parser.error("give --database postgresql+psycopg://...")
    schema = "bench_" + uuid.uuid4().hex[:8]
    admin = make_engine(args.database)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = make_url(normalise_url(args.database)).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO hub_group (slug, name, website, home, region, contact, services, description, areas, "
                "active, origin, created_at, updated_at) VALUES ('g', 'G', '', '', '', '', '[]', '', '[]', true, "
                "'registry', now(), now())"))
            connection.execute(sa.text(FEEDS_SQL), {"feeds": args.feeds, "fetches": args.fetches})
            connection.execute(sa.text(LOG_SQL), {"feeds": args.feeds, "fetches": args.fetches})
            connection.execute(sa.text("ANALYZE"))
        times = []
        for _ in range(5):
            with Session(engine) as session:
                started = time.perf_counter()
                figures = store.hub_figures(session=session, now=clock.now())
                times.append(time.perf_counter() - started)
        print(f"{args.feeds:,} feeds, {args.feeds * args.fetches:,} fetch-log rows: best {min(times) * 1000:.0f} ms, "
              f"median {statistics.median(times) * 1000:.0f} ms ({sum(figures.feeds.values()):,} feeds counted; "
              f"load average {os.getloadavg()[0]:.1f})")
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
