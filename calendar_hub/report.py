"""What the command line prints: plain tables, counted words, and `refresh`'s progress bar and summary.

One vocabulary for what a refresh of a feed came to, in the table and the summary alike: "stored", "unchanged"
(the server answered 304, or sent the same body again), "kept" (a broken or empty body: the last good copy
stays), "held" (a sudden drop in upcoming events waits for the next fetch or an organiser), "gone" (the server
answered 410: no more fetches until an organiser resumes the feed) and "failed".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TextIO
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.progress import Progress as Bar

from calendar_hub.states import Outcome
from calendar_hub.store import FeedJob, FeedOutcome

GONE = 410
# The words of the summary, in its order.
WORDS = ("stored", "unchanged", "held", "kept", "gone", "failed")


def plural(count: int, word: str, words: str | None = None) -> str:
    """`count` and the noun it counts: "1 item", "2 items", "0 items" (`words` for an irregular plural)."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def listed(parts: Sequence[str]) -> str:
    """Parts as a sentence lists them: "a", "a and b", "a, b and c"."""
    return " and ".join(filter(None, [", ".join(parts[:-1]), parts[-1]])) if parts else ""


def word(outcome: FeedOutcome) -> str:
    """What one feed's refresh came to, in the summary's words (see the module docstring)."""
    if outcome.kind in (Outcome.NOT_MODIFIED, Outcome.UNCHANGED):
        return "unchanged"
    if outcome.kind == Outcome.FAILED and outcome.http_status == GONE:
        return "gone"
    return str(outcome.kind)


def refresh_table(outcomes: Iterable[tuple[FeedJob, FeedOutcome]]) -> str:
    """The per-feed table `refresh` prints, sorted by group and feed."""
    rows = [(job.group_slug, short(job.url), word(outcome), str(outcome.found) if outcome.kind == Outcome.STORED
             else "-", str(outcome.skipped or ""), "; ".join(filter(None, [outcome.error, outcome.notice])))
            for job, outcome in outcomes]
    return table(("group", "feed", "outcome", "events", "skipped", "message"), sorted(rows))


def refresh_summary(outcomes: Sequence[tuple[FeedJob, FeedOutcome]], *, seconds: float, events_changed: int) -> str:
    """One line: how many feeds came to what, how many events changed and how many items were skipped. A word
    no feed came to is left out, but for "stored" and "unchanged"."""
    words = [word(outcome) for _job, outcome in outcomes]
    counts = [f"{words.count(w)} {w}" for w in WORDS if w in ("stored", "unchanged") or w in words]
    skipped = sum(outcome.skipped for _job, outcome in outcomes)
    tail = f"; {plural(skipped, 'item')} skipped" if skipped else ""
    return (f"{plural(len(outcomes), 'feed')} in {seconds:.1f} s: {', '.join(counts)}; "
            f"{plural(events_changed, 'event')} changed{tail}")


def nothing_due(next_at: datetime | None, *, now: datetime, zone: ZoneInfo) -> str:
    """What `refresh --due` says when no feed is due: when the next one is, in the hub's zone."""
    if next_at is None:
        return "nothing is due; no feed is scheduled"
    if next_at <= now:   # due, but another process holds its lease
        return "nothing is due here: the due feeds are being refreshed by another process"
    local, today = next_at.astimezone(zone), now.astimezone(zone).date()
    day = "" if local.date() == today else f" on {local:%a} {local.day} {local:%b %Y}"
    return f"nothing is due; next at {local:%H:%M}{day}"


class Progress:
    """`refresh`'s progress bar on a terminal: feeds done of the total, the feed just done and the time left.
    Nothing at all when the output is a file or a pipe. Use as a context manager around the refresh."""

    def __init__(self, stream: TextIO) -> None:
        self.bar: Bar | None = None
        self.task: TaskID | None = None
        if stream.isatty():
            self.bar = Bar(TextColumn("refreshing"), BarColumn(), MofNCompleteColumn(), TextColumn("feeds"),
                           TimeRemainingColumn(), TextColumn("{task.description}"),
                           console=Console(file=stream), transient=True)

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()

    def start(self, jobs: Sequence[FeedJob]) -> None:
        """A batch of the feeds this refresh fetches is claimed: added to the bar's total."""
        if self.bar is None:
            return
        if self.task is None:
            self.task = self.bar.add_task("", total=len(jobs))
        else:
            self.bar.update(self.task, total=(self.bar.tasks[0].total or 0) + len(jobs))

    def step(self, job: FeedJob, outcome: FeedOutcome) -> None:
        """One feed is done: advance the bar and name the feed and what it came to."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1, description=f"{job.group_slug[:40]} ({word(outcome)})")


def short(url: str, width: int = 60) -> str:
    """A feed's address shortened for a table: a local file by its name, a long address cut with "…"."""
    if url.startswith("file://"):
        url = "file:…/" + url.rsplit("/", 1)[-1]
    return url if len(url) <= width else url[: width - 1] + "…"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows under a header and a rule, columns padded but the last (messages)."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    widths[-1] = len(header[-1])  # the last column (messages) is not padded

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])
