"""Organisers' decisions on suspected duplicates (`merge_decision`), kept by published UID: one event, or two.

`Decisions` is what merging takes (`catalogue.merge.clusters`); the rows behind it are read and written
here.  Functions take a keyword-only `session` (a SQLModel Session); none of them commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.states import Decision
from calendar_hub.store.models import MergeDecision


def pair(uid_a: str, uid_b: str) -> tuple[str, str]:
    """Two published UIDs in the order decisions keep them (the smaller first)."""
    return (uid_a, uid_b) if uid_a < uid_b else (uid_b, uid_a)


@dataclass(frozen=True, slots=True)
class Decisions:
    """Organisers' word on pairs of published UIDs (each pair as `pair` orders it): one event, or two."""

    merge: frozenset[tuple[str, str]] = frozenset()
    apart: frozenset[tuple[str, str]] = frozenset()

    def partners(self) -> dict[str, set[str]]:
        """For each UID named in any decision, the UIDs it was decided about."""
        found: dict[str, set[str]] = defaultdict(set)
        for a, b in self.merge | self.apart:
            found[a].add(b)
            found[b].add(a)
        return found


NO_DECISIONS = Decisions()


def merge_decisions(*, session: Session) -> Decisions:
    """Every organiser's decision on a suspected duplicate pair, as merging takes them."""
    rows = session.execute(sa.select(col(MergeDecision.uid_a), col(MergeDecision.uid_b), col(MergeDecision.decision)))
    merge: set[tuple[str, str]] = set()
    apart: set[tuple[str, str]] = set()
    for uid_a, uid_b, decision in rows:
        (merge if decision == Decision.MERGE else apart).add(pair(uid_a, uid_b))
    return Decisions(merge=frozenset(merge), apart=frozenset(apart))


def decision_on(uid_a: str, uid_b: str, *, session: Session) -> MergeDecision | None:
    """The decision kept on the pair (`uid_a`, `uid_b`, ordered as `pair` orders them), if any."""
    return session.exec(select(MergeDecision).where(MergeDecision.uid_a == uid_a, MergeDecision.uid_b == uid_b)).first()


def save_decision(uid_a: str, uid_b: str, decision: str, *, actor: str, at: datetime, title_a: str, title_b: str,
                  session: Session) -> MergeDecision:
    """Add the decision on the pair (ordered as `pair` orders them), or replace the one kept; the caller commits."""
    found = decision_on(uid_a, uid_b, session=session)
    if found is None:
        found = MergeDecision(uid_a=uid_a, uid_b=uid_b, decision=decision, actor=actor)
    found.decision, found.actor, found.at = decision, actor, at
    found.title_a, found.title_b = title_a[:300], title_b[:300]
    session.add(found)
    return found


def delete_decision(decision: MergeDecision, *, session: Session) -> None:
    """Forget a kept decision; the caller commits."""
    session.delete(decision)


def decision_rows(*, session: Session) -> list[MergeDecision]:
    """Every decision, newest first."""
    return list(session.exec(select(MergeDecision).order_by(col(MergeDecision.at).desc(),
                                                            col(MergeDecision.id).desc())).all())
