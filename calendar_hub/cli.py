"""The `calendar-hub` command: init, load, export-registry, refresh, feeds, discover, user, send-digests, serve,
demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import secrets
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from calendar_hub import __version__, clock, logs, report, store
from calendar_hub.errors import ConfigError, HubError
from calendar_hub.registry import read_registry
from calendar_hub.registry_export import REGISTRY_FILE, export_registry
from calendar_hub.settings import Settings, demo_registry_dir
from calendar_hub.store import Engine, RegistryChanges, Session
from calendar_hub.store import engine as db

if TYPE_CHECKING:
    from calendar_hub.ingest.discover import Discovery


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    """Run one command; returns the exit status (1 when the hub reports an error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    # Without CALENDAR_HUB_BASE_URL, `serve` publishes links to the address it listens on (never one from a request).
    args.base_url_from = "CALENDAR_HUB_BASE_URL" if environ.get("CALENDAR_HUB_BASE_URL") else None
    try:
        settings = Settings.from_env(environ)
        logs.configure(verbose=args.verbose, form=settings.log_format, interactive=sys.stderr.isatty())
        return int(args.run(args, settings))
    except KeyboardInterrupt:  # Ctrl-C: what was running has stopped; no traceback
        return 130
    except HubError as e:
        print(f"calendar-hub: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a file or folder named on the command line that cannot be read or written
        where = f"{e.filename}: " if e.filename else ""
        print(f"calendar-hub: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except Exception as e:
        words = store.unavailable(e)  # a database locked or out of reach: one line, not a traceback
        if words is None:
            raise
        print(f"calendar-hub: {words}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="calendar-hub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"calendar-hub {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, run: object, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        return sub

    command("init", cmd_init, "create or upgrade the database schema")
    load = command("load", cmd_load, "load a registry folder of TOML files (groups, feeds, weeks)")
    load.add_argument("folder", type=Path)
    load.add_argument("--overwrite-console-changes", action="store_true",
                      help="take the files' version of groups and weeks changed in the console")
    load.add_argument("--prune", action="store_true",
                      help="deactivate the groups the registry no longer names (without it, they are listed, and "
                           "on a terminal you are asked)")
    export = command("export-registry", cmd_export_registry,
                     "write the current groups, feeds and weeks to FOLDER/hub.toml (local feed files copied)")
    export.add_argument("folder", type=Path)
    refresh = command("refresh", cmd_refresh, "fetch every active feed now and print a summary")
    refresh.add_argument("--due", action="store_true", help="only feeds whose next attempt is due")
    command("feeds", cmd_feeds, "print each feed's state as a table")
    discover = command("discover", cmd_discover,
                       "find the calendar or feed behind a website, calendar page or webcal:// address")
    discover.add_argument("url")
    user = command("user", cmd_user_add, "add a console account, or reset one's password and role")
    user.add_argument("action", choices=["add"])
    user.add_argument("email")
    user.add_argument("--role", required=True, choices=["admin", "organiser", "editor"])
    user.add_argument("--group", default=None, help="the group an editor manages (its slug)")
    digests = command("send-digests", cmd_send_digests,
                      "queue the e-mail digests and week alerts now due, then send what the outbox holds")
    digests.add_argument("--no-build", action="store_true", help="only send what is already queued")
    serve = command("serve", cmd_serve, "run the web app (and refresh due feeds in the background)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    demo = command("demo", cmd_demo, "init, load the demo registry, refresh and serve, on a fresh SQLite file")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--folder", type=Path, default=None,
                      help="where to keep the demo's database and feeds (default: a new temporary folder)")
    return parser


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[Engine]:
    """An engine on the configured database, migrated to the newest schema, disposed afterwards."""
    engine = db.make_engine(settings.database_url, busy_seconds=settings.database_busy_seconds)
    try:
        db.upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as engine:
        print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings, *, stdin: TextIO | None = None) -> int:
    """Groups the registry no longer names are deactivated only with --prune, or when the operator, asked on a
    terminal, says yes; otherwise they are listed with how to deactivate them, and stay active."""
    registry = read_registry(args.folder)
    stream = stdin or sys.stdin
    with _database(settings) as engine, Session(engine) as session:
        changes = store.apply_registry(registry, session=session, overwrite_console=args.overwrite_console_changes,
                                       prune=args.prune)
        if changes.unnamed and not changes.pruned and stream.isatty() and _confirm_prune(changes.unnamed, stream):
            pruned = store.apply_registry(registry, session=session,
                                          overwrite_console=args.overwrite_console_changes, prune=True)
            changes.deactivated += pruned.deactivated
            changes.counts.update({key: n for key, n in pruned.counts.items() if key[0] == "deactivated"})
            changes.pruned = True
    print(f"loaded {report.plural(len(registry.groups), 'group')} and {report.plural(len(registry.weeks), 'week')} "
          f"from {args.folder}: {_changed(changes)}")
    unnamed = f"{report.plural(len(changes.unnamed), 'group')} the registry no longer names"
    if changes.unnamed and changes.pruned:
        print(f"deactivated {unnamed}: {', '.join(changes.unnamed)}")
    elif changes.unnamed:
        print(f"left active {unnamed}: {', '.join(changes.unnamed)} "
              f"(`calendar-hub load {args.folder} --prune` deactivates them)")
    if changes.kept:
        print(f"kept as changed in the console: {', '.join(changes.kept)} "
              "(calendar-hub export-registry writes them out; load --overwrite-console-changes takes the files')")
    return 0


def _changed(changes: RegistryChanges) -> str:
    """What a load changed, by what it changed: "13 groups, 13 feeds and 1 week added; 1 feed deactivated"."""
    said = []
    for change in ("added", "updated", "deactivated"):
        kinds = [report.plural(changes.counts[change, kind], kind) for kind in ("group", "feed", "week")
                 if changes.counts[change, kind]]
        if kinds:
            said.append(f"{report.listed(kinds)} {change}")
    return "; ".join(said) or "nothing added, updated or deactivated"


def _confirm_prune(slugs: Sequence[str], stream: TextIO) -> bool:
    """Ask on the terminal whether to deactivate the groups the registry no longer names; only "y" or "yes" is yes."""
    print(f"The registry no longer names {report.plural(len(slugs), 'active group')}: "
          f"{', '.join(slugs)}")
    print("Deactivate them (their pages and feeds leave the hub; nothing is deleted)? [y/N] ", end="", flush=True)
    return stream.readline().strip().lower() in ("y", "yes")


def cmd_export_registry(args: argparse.Namespace, settings: Settings) -> int:
    if args.folder.exists() and not args.folder.is_dir():
        raise ConfigError(f"{args.folder} is a file: name a folder to write the registry into (it is made if missing)")
    with _database(settings) as engine, Session(engine) as session:
        registry = store.current_registry(session=session)
    try:
        copied = export_registry(registry, args.folder)
    except OSError as e:
        raise ConfigError(f"cannot write the registry to {args.folder} ({e.strerror or e}): name a folder that can "
                          "be written, or made, there") from e
    print(f"wrote {report.plural(len(registry.groups), 'group')} and {report.plural(len(registry.weeks), 'week')} "
          f"to {args.folder / REGISTRY_FILE}"
          + (f", with {report.plural(copied, 'local feed file')}" if copied else ""))
    return 0


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    from calendar_hub.ingest.refresh import refresh
    from calendar_hub.ingest.worker import lower_priority

    lower_priority(settings.refresh_nice)   # give way to web processes on the same cores (parse workers inherit it)
    with _database(settings) as engine:
        with report.Progress(sys.stdout) as progress:
            done = asyncio.run(refresh(engine, settings, due_only=args.due, on_done=progress.step,
                                       on_claimed=progress.start))
        if not done.outcomes and args.due:
            with Session(engine) as session:
                next_at = store.next_attempt(session=session)
            print(report.nothing_due(next_at, now=clock.now(), zone=settings.zone))
            return 0
    if not done.outcomes:
        print("no feed to refresh: none is active, or another process is refreshing them all (`calendar-hub feeds` "
              "lists them; `calendar-hub load DIR` loads a registry's)")
        return 0
    print(report.refresh_table(done.outcomes))
    print("\n" + report.refresh_summary(done.outcomes, seconds=done.seconds, events_changed=done.events_changed))
    return 0


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as engine, Session(engine) as session:
        health = store.feed_health(session=session)
    rows = []
    for item in health:
        feed = item.feed
        status = "paused" if not feed.active else ("failing" if feed.consecutive_failures else
                                                   ("ok" if feed.last_success_at else "new"))
        message = "; ".join(filter(None, [feed.error, feed.notice]))
        rows.append((item.group_slug, report.short(feed.url), status,
                     feed.last_success_at.strftime("%Y-%m-%d %H:%M") if feed.last_success_at else "never",
                     str(item.events_stored), str(feed.items_skipped), message))
    print(report.table(("group", "URL", "status", "last success", "events", "skipped", "message"), rows))
    return 0


def cmd_discover(args: argparse.Namespace, settings: Settings) -> int:
    from calendar_hub.ingest.discover import discover
    from calendar_hub.ingest.fetch import Limits, make_client

    async def run() -> Discovery:
        # The address comes from a group, as through the web: private networks are refused.
        async with make_client(settings, guarded=True) as client:
            return await discover(client, args.url, limits=Limits.from_settings(settings))

    found = asyncio.run(run())
    if not found.feeds:
        print(f"no calendar found: {found.message}")
        return 1
    print(report.table(("kind", "URL", "title", "how it was found"),
                 [(f.kind, f.url, f.title, f.how) for f in found.feeds]))
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings, *, stdin: TextIO | None = None) -> int:
    """Read the password from standard input (one line; never an argument, which `ps` would show)."""
    from calendar_hub.console import accounts

    stream = stdin or sys.stdin
    if stream.isatty():
        import getpass

        password = getpass.getpass("password: ")
    else:
        password = stream.readline().rstrip("\r\n")
    with _database(settings) as engine, Session(engine) as session:
        user = accounts.add_user(args.email, password, role=args.role, group=args.group, session=session,
                                 actor="cli")
    print(f"{user.email}: {user.role}" + (f" of {args.group}" if args.group else ""))
    return 0


# The value deploy/calendar-hub.env.example ships: public, so it signs nothing (a forged cookie would open /admin).
EXAMPLE_SECRET_KEY = "change-me-to-a-long-random-string"
SECRET_KEY_BYTES = 32
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def check_secret_key(settings: Settings) -> None:
    """Refuse a missing, short or published session secret, saying how to make one; raises ConfigError."""
    key = settings.secret_key
    if not key:
        problem = "is not set"
    elif key == EXAMPLE_SECRET_KEY:
        problem = "is the example's, which anyone can read"
    elif len(key.encode()) < SECRET_KEY_BYTES:
        problem = f"is shorter than {SECRET_KEY_BYTES} bytes"
    else:
        return
    raise ConfigError(f"CALENDAR_HUB_SECRET_KEY {problem}: make one with `{MAKE_A_KEY}` (the same for every web "
                      "process; it signs the console's sessions)")


def cmd_send_digests(args: argparse.Namespace, settings: Settings) -> int:
    """Forget stale sign-ups, queue what is due (unless --no-build), send (when a relay is configured)."""
    from calendar_hub.catalogue import build_catalogue
    from calendar_hub.mail import digest, outbox, signup

    with _database(settings) as engine:
        with Session(engine) as session:
            forgotten = signup.purge(now=clock.now(), session=session)
            if not args.no_build:
                catalogue = build_catalogue(session=session, zone=settings.zone, now=clock.now(),
                                            keep_days=settings.window_past_days)
                built = digest.build_due(catalogue, settings, now=clock.now(), session=session)
                print(f"queued {report.plural(built.digests, 'digest')} and {report.plural(built.alerts, 'week alert')}"
                      f" ({report.plural(built.nothing_new, 'follower')} with nothing new); "
                      f"forgot {report.plural(forgotten, 'unconfirmed sign-up')}")
        if not settings.smtp_host:
            print("CALENDAR_HUB_SMTP_HOST is not set: nothing sent, the messages wait in the outbox")
            return 0
        sent = outbox.send_due(engine, settings)
        print(f"sent {report.plural(sent.sent, 'message')}; {sent.retried} to try again later, {sent.failed} refused"
              + (f", {sent.left} left for the next run (the relay failed)" if sent.left else ""))
        return 1 if sent.left else 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from calendar_hub.web.app import create_app, tune_interpreter

    check_secret_key(settings)
    proxies = list(settings.trusted_proxy_list)
    with _database(settings):
        pass
    port = _check_can_listen(args.host, args.port)
    served = served_address(args.host, port)
    given = getattr(args, "base_url_from", None)
    if given is None:
        settings = settings.replace(base_url=served)
    print(f"serving on {served}/; published links use {settings.base_url.rstrip('/')}/ ("
          + (f"from {given})" if given else "CALENDAR_HUB_BASE_URL is not set: set it to the address visitors use)"),
          flush=True)
    # uvicorn believes X-Forwarded-For and -Proto from 127.0.0.1 unless told otherwise, and anyone on the machine
    # (or a proxy passing the header through) could then pick the address the per-address limits count:
    # forwarded headers are read only from the proxies the operator names.
    config = uvicorn.Config(create_app(settings), host=args.host, port=port, log_level="info",
                            proxy_headers=bool(proxies), forwarded_allow_ips=proxies)
    tune_interpreter()
    uvicorn.Server(config).run()
    return 0


def served_address(host: str, port: int) -> str:
    """The address of a hub served on host:port, as a browser on this machine reaches it: every interface
    (0.0.0.0, ::) is reached through loopback, and an IPv6 address is bracketed (RFC 3986 3.2.2)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _check_can_listen(host: str, port: int) -> int:
    """The port `serve` will listen on (a free one for port 0); raise ConfigError, saying what to do, when it could
    not listen on host:port (uvicorn would log a few lines and exit with status 3)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        with socket.create_server((host, port), family=family) as listening:
            return int(listening.getsockname()[1])
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is already in use: stop what listens there, or choose "
                              "another with --port") from e
        reason = (e.strerror or str(e)).split(" (while attempting")[0]
        raise ConfigError(f"cannot listen on {host} port {port} ({reason}): give --host an address of "
                          "this machine (127.0.0.1, 0.0.0.0) and --port a free port") from e


DEMO_ORGANISER = "organiser@demo.invalid"


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Without --folder, the demo works in a new temporary folder, removed when it stops (Ctrl-C, or a SIGTERM)."""
    if args.folder is not None:
        return _demo(args, settings, args.folder)
    previous = None
    if threading.current_thread() is threading.main_thread():
        # uvicorn hands a SIGTERM on to the handler it found once it has shut down: exit through `finally`
        # blocks (and so the folder's removal) instead of at once.
        previous = signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        with tempfile.TemporaryDirectory(prefix="calendar-hub-demo-", ignore_cleanup_errors=True) as made:
            return _demo(args, settings, Path(made))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _demo(args: argparse.Namespace, settings: Settings, folder: Path) -> int:
    from calendar_hub.console import accounts
    from calendar_hub.demo import prepare_demo, waiting_work

    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "calendar-hub.db"
    database.unlink(missing_ok=True)
    registry = folder / "registry"
    prepare_demo(demo_registry_dir(), registry, today=clock.today(settings.zone))
    base_url = f"http://127.0.0.1:{args.port}"
    # A demo on this machine only: its own session secret, new each run.
    settings = settings.replace(database_url=f"sqlite:///{database}", base_url=base_url,
                                secret_key=settings.secret_key or secrets.token_urlsafe(32))
    print(f"demo folder: {folder}" + ("" if args.folder else " (removed when the demo stops)"))
    for step in (cmd_init, cmd_load, cmd_refresh):
        step(argparse.Namespace(folder=registry, due=False, overwrite_console_changes=False, prune=False), settings)
    password = secrets.token_urlsafe(12)
    with _database(settings) as engine, Session(engine) as session:
        accounts.add_user(DEMO_ORGANISER, password, role="organiser", group=None, session=session, actor="demo")
        waiting_work(settings, session=session)
    print(f"\nCalendar Hub demo: open {base_url}/ (Ctrl-C to stop)")
    print(f"The organisers' console: {base_url}/admin/ as {DEMO_ORGANISER}, password {password}\n")
    return cmd_serve(argparse.Namespace(host="127.0.0.1", port=args.port, base_url_from="the demo's port"),
                     settings)
