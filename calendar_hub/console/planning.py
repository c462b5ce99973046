"""Planning weeks of action in the console: weeks made and edited, single events taken in or out by hand.

Weeks from the registry's TOML and weeks made here are one model (`models.Week`); a week changed here
becomes the console's (origin "console"), so `calendar-hub load` keeps the change.  `preview` says, for a
week as typed (a `WeekInfo` from `read_form`, saved or not), which published events in its days it takes and why.
Changing functions take a keyword-only `session` and the acting account's e-mail, audit, bump the data
version and commit; they raise PlanningError with a sentence for organisers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue, WeekInfo
from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.weeks import Verdict, WeekRule, explain, normalise_tag
from calendar_hub.console import accounts
from calendar_hub.errors import InputError
from calendar_hub.registry import SLUG_RE
from calendar_hub.states import Origin
from calendar_hub.store import Session
from calendar_hub.store.models import Week

LONGEST_WEEK = timedelta(days=92)   # a "week" of action runs to a season at most: longer is a typing slip
RESERVED = frozenset({"new", "preview"})  # console paths beside /admin/weeks/{slug}
SHOWN = 400                           # events listed in a preview, each way
CHOICES = ("include", "exclude", "feature", "unfeature", "clear")


class PlanningError(InputError):
    """A week that cannot be saved as typed, said in words for the organiser."""


def read_form(values: Mapping[str, Any], *, known_groups: Sequence[str], slug: str | None = None) -> WeekInfo:
    """The week as typed in the form, checked; `slug` is the saved week's (the form's is ignored then).

    `values["groups"]` is the list of ticked group slugs; tags are typed separated by commas or spaces.
    """
    name = " ".join(str(values.get("name", "")).split())
    if slug is None:
        slug = str(values.get("slug", "")).strip().lower()
        if not SLUG_RE.fullmatch(slug) or len(slug) > 100 or slug in RESERVED:
            raise PlanningError("The short name may use only lower-case letters, digits and hyphens and starts "
                                "with a letter or digit (for example refugee-week-2027).")
    if not name:
        raise PlanningError("A week needs a name.")
    if len(name) > 300:
        raise PlanningError("The name is too long (at most 300 characters).")
    start, end = _day(values.get("start"), "first day"), _day(values.get("end"), "last day")
    if end < start:
        raise PlanningError("The last day is before the first day.")
    if end - start > LONGEST_WEEK:
        raise PlanningError("A week of action can run for at most three months.")
    # Kept as typed, as the registry keeps them ("CT4R"); the first of any repeated, as matching ignores case.
    first_typed: dict[str, str] = {}
    for typed in re.split(r"[,\s]+", str(values.get("tags", ""))):
        if normalise_tag(typed):
            first_typed.setdefault(normalise_tag(typed), typed.lstrip("#").strip())
    tags = tuple(first_typed.values())
    if any(len(t) > 100 for t in tags):
        raise PlanningError("A tag is too long (at most 100 characters).")
    description = str(values.get("description", "")).strip()
    if len(description) > 5000:
        raise PlanningError("The description is too long (at most 5,000 characters).")
    raw_groups = values.get("groups", [])
    ticked = [str(g) for g in (raw_groups if isinstance(raw_groups, list | tuple) else [raw_groups]) if g]
    unknown = sorted(set(ticked) - set(known_groups))
    if unknown:
        raise PlanningError(f"There is no active group called {unknown[0]}.")
    return WeekInfo(slug=slug, name=name, start=start, end=end, tags=tags, description=description,
                    groups=tuple(g for g in known_groups if g in ticked))


def _day(value: Any, what: str) -> date:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise PlanningError(f"Please give the {what} as a date, like 2027-06-14.") from None


def week_by_slug(slug: str, *, session: Session) -> Week | None:
    """The week with the short name `slug`, active or archived."""
    return store.week_by_slug(slug, session=session)


def all_weeks(*, session: Session) -> list[Week]:
    """Every week, active first, by first day."""
    return store.all_weeks(session=session)


def add_week(draft: WeekInfo, *, session: Session, actor: str) -> Week:
    """A new active week from a checked draft."""
    if week_by_slug(draft.slug, session=session) is not None:
        raise PlanningError(f"There is already a week called {draft.slug}.")
    now = clock.now()
    week = Week(slug=draft.slug, origin=Origin.CONSOLE, created_at=now, updated_at=now, **_fields(draft))
    store.add_week(week, session=session)
    accounts.record(session=session, actor=actor, action="week.add", target=draft.slug,
                    detail={k: _plain(v) for k, v in _fields(draft).items()})
    store.bump_version(session=session)
    session.commit()
    session.refresh(week)
    return week


def edit_week(week: Week, draft: WeekInfo, *, session: Session, actor: str) -> bool:
    """Save a checked draft on `week`; returns whether anything changed."""
    fields = _fields(draft)
    changed = {name: value for name, value in fields.items() if getattr(week, name) != value}
    if not changed:
        return False
    detail = {name: [_plain(getattr(week, name)), _plain(value)] for name, value in changed.items()}
    _touched(week, changed, session)
    accounts.record(session=session, actor=actor, action="week.edit", target=week.slug, detail=detail)
    store.bump_version(session=session)
    session.commit()
    return True


def set_week_active(week: Week, active: bool, *, session: Session, actor: str) -> None:
    """Archive a week (its page and calendar go; nothing is lost) or bring it back."""
    if week.active == active:
        return
    _touched(week, {"active": active}, session)
    accounts.record(session=session, actor=actor, action="week.restore" if active else "week.archive",
                    target=week.slug)
    store.bump_version(session=session)
    session.commit()


def choose(week: Week, uid: str, choice: str, *, session: Session, actor: str, title: str = "") -> None:
    """Take one published event in or out of the week by hand, feature it, or undo that.

    "include" and "exclude" replace each other; "clear" leaves the event to the week's rule again.
    """
    if choice not in CHOICES:
        raise PlanningError("Unknown choice.")
    uid = uid.strip()[:100]
    if not uid:
        raise PlanningError("No event was chosen.")
    included, excluded, featured = list(week.included), list(week.excluded), list(week.featured)
    if choice in ("include", "exclude", "clear"):
        included = [u for u in included if u != uid] + ([uid] if choice == "include" else [])
        excluded = [u for u in excluded if u != uid] + ([uid] if choice == "exclude" else [])
        if choice == "exclude":
            featured = [u for u in featured if u != uid]
    elif choice == "feature":
        featured = [u for u in featured if u != uid] + [uid]
    else:
        featured = [u for u in featured if u != uid]
    if (included, excluded, featured) == (week.included, week.excluded, week.featured):
        return
    # New lists, not changed ones: a JSON column is saved only when the attribute is assigned.
    _touched(week, {"included": included, "excluded": excluded, "featured": featured}, session)
    accounts.record(session=session, actor=actor, action=f"week.{choice}", target=week.slug,
                    detail={"event": uid, "title": title[:300]})
    store.bump_version(session=session)
    session.commit()


def _touched(week: Week, values: Mapping[str, Any], session: Session) -> None:
    """Save `values` on the week, which becomes the console's: the registry's copy is now older, `load` keeps this."""
    store.change_week(week, {**values, "origin": Origin.CONSOLE, "updated_at": clock.now()}, session=session)


def _fields(draft: WeekInfo) -> dict[str, Any]:
    return {"name": draft.name, "start_date": draft.start, "end_date": draft.end, "tags": list(draft.tags),
            "description": draft.description, "groups": list(draft.groups)}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# ---------------------------------------------------------------- the preview


@dataclass(frozen=True, slots=True)
class Row:
    """One published event in the preview, with the verdict on it."""

    listing: Listing
    verdict: Verdict
    featured: bool


@dataclass(frozen=True, slots=True)
class Preview:
    """The events in a week's days, split into those it takes and those it leaves, each with why."""

    taken: tuple[Row, ...]
    left: tuple[Row, ...]
    taken_count: int
    left_count: int
    groups_count: int
    by_hand: tuple[Row, ...]       # events taken in or left out by hand that fall outside the week's days

    @property
    def shown(self) -> int:
        return SHOWN


def preview(catalogue: Catalogue, draft: WeekInfo, saved: WeekInfo | None = None) -> Preview:
    """Which published events the week as typed takes, and why; the choices made by hand on `saved` apply."""
    included = saved.included if saved else ()
    excluded = saved.excluded if saved else ()
    featured = set(saved.featured) if saved else set()
    rule = WeekRule.of(draft.slug, draft.start, draft.end, draft.tags, draft.groups, catalogue.zone,
                       included=included, excluded=excluded)
    taken: list[Row] = []
    left: list[Row] = []
    seen: set[str] = set()
    for item in catalogue.find(start=draft.start, end=draft.end):
        seen.add(item.uid)
        row = _row(item, rule, featured)
        (taken if row.verdict.member else left).append(row)
    chosen = (set(included) | set(excluded) | featured) - seen
    by_hand = [_row(item, rule, featured) for item in catalogue.listings if item.uid in chosen]
    taken.extend(row for row in by_hand if row.verdict.member)
    taken.sort(key=lambda row: (not row.featured, row.listing.start, row.listing.uid))
    groups = {ref.slug for row in taken if not row.listing.cancelled for ref in row.listing.groups}
    return Preview(taken=tuple(taken[:SHOWN]), left=tuple(left[:SHOWN]), taken_count=len(taken),
                   left_count=len(left), groups_count=len(groups), by_hand=tuple(by_hand))


def _row(item: Listing, rule: WeekRule, featured: set[str]) -> Row:
    verdict = explain(rule, uid=item.uid, start=item.start, end=item.end, title=item.title,
                      description=item.description_text, categories=item.categories,
                      group_slugs=[ref.slug for ref in item.groups])
    return Row(listing=item, verdict=verdict, featured=item.uid in featured)
