"""Groups joining through the public form: requests kept for organisers, approved into groups and feeds.

A request is stored only once the calendar behind the group's address has been found (the caller
runs discovery through the SSRF-guarded client).  Approving makes an active group, with the request's
home and contact, and its feed (origin "web"), fetched on the next refresh, all in one transaction.
Every decision is audited.  Functions take a keyword-only `session` and commit.  `within_join_limit`
bounds how often one client address may use the form, before anything is fetched for it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.console import groups as console
from calendar_hub.errors import Conflict, InputError
from calendar_hub.language import gettext
from calendar_hub.registry import slug_for
from calendar_hub.states import Review
from calendar_hub.store import Session
from calendar_hub.store.models import JoinRequest

PENDING_PER_ADDRESS = 3          # pending requests for one calendar address: enough for a retry, not a flood
TRIES_PER_CLIENT = 5             # uses of the form (each makes the hub fetch an address) per client address...
TRIES_WINDOW = timedelta(hours=1)  # ...within this time
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def check_form(name: str, home: str, contact: str, address: str) -> dict[str, str]:
    """The form's fields tidied; raises InputError with a sentence for the group when one is wrong."""
    values = {"name": " ".join(name.split())[:300], "home": " ".join(home.split())[:300],
              "contact": contact.strip()[:320], "address": address.strip()[:2000]}
    if not values["name"]:
        raise InputError(gettext("Please give your group's name."), field="group_name")
    if not EMAIL.match(values["contact"]):
        raise InputError(gettext("Please give an e-mail address we can reach you at, such as hello@yourgroup.org."),
                         field="contact")
    if not values["address"]:
        raise InputError(gettext("Please paste your group's website or calendar address."), field="address")
    return values


def within_join_limit(client: str, *, session: Session) -> bool:
    """Count one use of the form from the client address `client`; False once it had `TRIES_PER_CLIENT`
    within `TRIES_WINDOW`.  Commits.  Called before discovery, so the form cannot make the hub fetch
    address after address for someone (the pending limit above only bounds what is stored)."""
    return accounts.within_limit(f"join:{client}", limit=TRIES_PER_CLIENT, window=TRIES_WINDOW, session=session)


def submit(values: dict[str, str], *, feed_url: str, feed_kind: str, found_how: str, session: Session) -> JoinRequest:
    """Store a pending request; raises Conflict when this calendar already waits or already belongs to a group."""
    if store.join_requests_waiting_for(feed_url, session=session) >= PENDING_PER_ADDRESS:
        raise Conflict(gettext("This calendar is already waiting for an organiser's approval."))
    request = JoinRequest(group_name=values["name"], home=values["home"], contact=values["contact"],
                          address=values["address"], feed_url=feed_url, feed_kind=feed_kind, found_how=found_how)
    store.add_join_request(request, session=session)
    accounts.record(session=session, actor=values["contact"], action="join.request", target=feed_url,
                    detail={"group": values["name"]})
    session.commit()
    session.refresh(request)
    return request


def pending(*, session: Session) -> list[JoinRequest]:
    """Requests waiting for an organiser, oldest first."""
    return store.pending_join_requests(session=session)


def pending_request(request_id: int, *, session: Session) -> JoinRequest:
    """The waiting request `request_id`; raises Conflict when there is none or it was decided."""
    return _pending(request_id, session)


def recent_decisions(*, session: Session, days: int = 30) -> list[JoinRequest]:
    """Requests approved or rejected in the last `days` days, newest first."""
    return store.decided_join_requests(session=session, since=clock.now() - timedelta(days=days))


def approve(request_id: int, *, session: Session, actor: str) -> str:
    """Make the group and its feed from a pending request, in one transaction; returns the new group's slug.

    Either all of it is stored (group, feed, the request's decision, their audit entries) or, when any
    step raises, none of it: a group without its calendar is never left behind.
    """
    request = _decide(request_id, Review.APPROVED, actor=actor, session=session)
    try:
        slug = free_slug(request.group_name, session=session)
        group = console.add_group({"slug": slug, "name": request.group_name, "home": request.home,
                                   "contact": request.contact, "website": _website(request.address)},
                                  session=session, actor=actor, commit=False)
        console.add_feed(group, request.feed_url, request.feed_kind, session=session, actor=actor, commit=False)
        request.group_slug = slug  # the row `_decide` read into this session: saved with the commit
        accounts.record(session=session, actor=actor, action="join.approve", target=slug,
                        detail={"feed": request.feed_url})
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return slug


def reject(request_id: int, note: str, *, session: Session, actor: str) -> None:
    request = _decide(request_id, Review.REJECTED, actor=actor, session=session)
    request.note = " ".join(note.split())[:1000]
    accounts.record(session=session, actor=actor, action="join.reject", target=request.feed_url,
                    detail={"group": request.group_name, "note": request.note})
    session.commit()


def free_slug(name: str, *, session: Session) -> str:
    """A short name for addresses from a group's name (`registry.slug_for`), not yet used by another group."""
    base = slug_for(name)
    slug, n = base, 1
    while console.group_by_slug(slug, session=session) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _pending(request_id: int, session: Session) -> JoinRequest:
    request = store.join_request(request_id, session=session)
    if request is None or request.status != Review.PENDING:
        raise Conflict("That request has already been dealt with.")
    return request


def _decide(request_id: int, status: str, *, actor: str, session: Session) -> JoinRequest:
    """Claim the waiting request for this decision (no other organiser can decide it meanwhile)."""
    request = store.decide_pending(JoinRequest, request_id, status, actor=actor, session=session)
    if request is None:
        raise Conflict("That request has already been dealt with.")
    return request


def _website(address: str) -> str:
    """The address the group gave, as its website when it is a web page (not a webcal:// link)."""
    return address if address.startswith(("http://", "https://")) else ""
