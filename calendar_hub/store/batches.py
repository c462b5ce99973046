"""Long lists cut into batches that one statement can take (an IN (...) list, an executemany)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

BATCH = 500   # well inside SQLite's and PostgreSQL's limits on bound parameters
Item = TypeVar("Item")


def chunks(items: Sequence[Item], size: int = BATCH) -> Iterable[Sequence[Item]]:
    """`items` in consecutive slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i:i + size]
