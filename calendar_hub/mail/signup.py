"""Signing up to follow the hub by e-mail, confirming, changing, exporting and leaving: the form's domain.

    form -> check (problems in words) -> sign_up (rate limits; an unconfirmed follower; the confirmation queued)
         -> confirm (signed, expiring link) -> change | export | leave (one click: the follower and its mail go)

Nothing but the confirmation is sent before the link is followed.  The limits count sign-ups in the database
(per address typed and per connection), so they hold across processes.  Functions that change rows commit.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from calendar_hub import store
from calendar_hub.catalogue import Catalogue
from calendar_hub.errors import InputError, TooMany
from calendar_hub.language import gettext as _
from calendar_hub.mail import compose, links
from calendar_hub.places import Place
from calendar_hub.settings import Settings
from calendar_hub.store import Follower, OutboxMessage, Session

__all__ = ["KM_CHOICES", "PER_ADDRESS_PER_HOUR", "PER_EMAIL_PER_DAY", "Choice", "FollowProblems", "check", "confirm",
           "confirmed", "change", "export", "leave", "purge", "sign_up"]

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
KM_CHOICES = (5.0, 10.0, 25.0, 50.0)
PER_EMAIL_PER_DAY = 3        # confirmations one address may be sent in a day
PER_ADDRESS_PER_HOUR = 10    # sign-ups from one connection in an hour


class FollowProblems(InputError):
    """What is wrong with the form, field by field; the message is all of it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(" ".join(problems.values()), field=next(iter(problems), ""))
        self.problems = dict(problems)


@dataclass(frozen=True, slots=True)
class Choice:
    """What a person chose to follow (at least one of a place, a group, a week)."""

    near: str = ""
    place: Place | None = None
    km: float | None = None
    group: str = ""
    week: str = ""


def check(values: Mapping[str, str], catalogue: Catalogue, *,
          find_place: Callable[[str], Place | None], with_email: bool = True) -> tuple[str, Choice]:
    """The address and the choice, tidied; raises FollowProblems.  `find_place(text)` places a typed place."""
    problems: dict[str, str] = {}
    email = " ".join(values.get("email", "").split()).lower()[:320]
    if with_email and not EMAIL.match(email):
        problems["email"] = _("Please give an e-mail address, such as sam@example.org.")
    near = " ".join(values.get("near", "").split())[:100]
    place = find_place(near) if near else None
    if near and place is None:
        problems["near"] = _("We do not know a place called “%(near)s”: try a postcode or a town.") % {"near": near}
    km = next((choice for choice in KM_CHOICES if f"{choice:g}" == values.get("km", "").strip()), KM_CHOICES[1])
    group = values.get("group", "").strip()
    if group and catalogue.group(group) is None:
        problems["group"] = _("Please choose a group from the list.")
    week = values.get("week", "").strip()
    if week and catalogue.week(week) is None:
        problems["week"] = _("Please choose a week of action from the list.")
    if not (near or group or week) and "near" not in problems:
        problems["near"] = _("Please choose what to follow: a place, a group or a week of action.")
    if problems:
        raise FollowProblems(problems)
    return email, Choice(near=near, place=place, km=km if place else None, group=group, week=week)


def sign_up(email: str, choice: Choice, *, code: str, address: str, settings: Settings, secret: str,
            now: datetime, session: Session) -> Follower:
    """Keep an unconfirmed follower and queue its confirmation; raises TooMany over a limit (commits)."""
    store.forget_follow_attempts(before=now - timedelta(days=1), session=session)
    by_email, by_address = store.follow_attempts(email=email, address=address[:100], since=now - timedelta(days=1),
                                                 session=session)
    _by_email_hour, by_address_hour = store.follow_attempts(email=email, address=address[:100],
                                                            since=now - timedelta(hours=1), session=session)
    if by_email >= PER_EMAIL_PER_DAY or by_address_hour >= PER_ADDRESS_PER_HOUR:
        raise TooMany(_("We have sent as many confirmations as we can for now: please try again tomorrow."))
    store.add_follow_attempt(email, address, at=now, session=session)
    follower = store.save_follower(Follower(email=email, token=secrets.token_urlsafe(24), language=code,
                                            created_at=now, **_fields(choice)), session=session)
    assert follower.id is not None
    signed = links.confirm_token(follower.id, follower.token, secret=secret, now=now)
    composed = compose.render(settings, "confirm", code, follower=follower,
                              confirm_url=links.absolute(settings, f"/follow/confirm/{signed}", code),
                              days=links.CONFIRM_DAYS)
    message_id, body = compose.message(settings, to=email, composed=composed, now=now)
    store.queue_message(OutboxMessage(key=f"confirm:{follower.id}", follower_id=follower.id, kind="confirm",
                                      recipient=email, message_id=message_id, body=body, created_at=now, next_at=now),
                        session=session)
    session.commit()
    session.refresh(follower)
    return follower


def confirm(signed: str, *, secret: str, now: datetime, session: Session) -> Follower | None:
    """Confirm the follower a link names; None when the link is unknown, altered or expired (commits)."""
    follower_id = links.confirmed_id(signed)
    follower = store.follower_by_id(follower_id, session=session) if follower_id is not None else None
    if follower is None or not links.is_valid(signed, follower.token, secret=secret, now=now):
        return None
    if follower.confirmed_at is None:
        follower.confirmed_at = now
        store.save_follower(follower, session=session)
        session.commit()
        session.refresh(follower)
    return follower


def confirmed(token: str, *, session: Session) -> Follower | None:
    """The confirmed follower whose links carry `token`, if any."""
    follower = store.follower_by_token(token, session=session)
    return follower if follower is not None and follower.confirmed_at is not None else None


def change(token: str, choice: Choice, *, session: Session) -> Follower | None:
    """Follow something else; None when the token names no follower (commits)."""
    follower = confirmed(token, session=session)
    if follower is None:
        return None
    for name, value in _fields(choice).items():
        setattr(follower, name, value)
    store.save_follower(follower, session=session)
    session.commit()
    session.refresh(follower)
    return follower


def leave(token: str, *, session: Session) -> bool:
    """Forget the follower and every message of theirs not yet sent; False when the token names none (commits)."""
    follower = store.follower_by_token(token, session=session)
    if follower is None or follower.id is None:
        return False
    store.forget_messages_of(follower.id, session=session)
    store.delete_follower(follower.id, session=session)
    session.commit()
    return True


def export(follower: Follower) -> dict[str, Any]:
    """Everything the hub keeps about a follower, as JSON-ready data."""
    return {"email": follower.email, "language": follower.language, "near": follower.near, "km": follower.km,
            "lat": follower.lat, "lon": follower.lon, "group": follower.group_slug, "week": follower.week_slug,
            "signed_up": follower.created_at.isoformat(),
            "confirmed": follower.confirmed_at.isoformat() if follower.confirmed_at else None,
            "last_digest": follower.digest_at.isoformat() if follower.digest_at else None,
            "events_sent": list(follower.mailed), "weeks_announced": list(follower.alerted)}


def purge(*, now: datetime, session: Session) -> int:
    """Delete sign-ups unconfirmed for a week, and sent messages kept past a month; how many sign-ups went (commits)."""
    gone = store.forget_unconfirmed(before=now - timedelta(days=links.CONFIRM_DAYS), session=session)
    store.forget_follow_attempts(before=now - timedelta(days=1), session=session)
    store.prune_sent(before=now - timedelta(days=30), session=session)
    session.commit()
    return gone


def _fields(choice: Choice) -> dict[str, Any]:
    place = choice.place
    return {"near": choice.near if place else "", "lat": place.lat if place else None,
            "lon": place.lon if place else None, "km": choice.km if place else None,
            "group_slug": choice.group, "week_slug": choice.week}
