"""A console change that reaches the public asks first, on a page of its own, and offers its undo once done.

Without JavaScript: the change's form posts once and gets `confirmation`, a page that says what will happen to
the people who read or follow what changes, with a second form carrying `confirm=yes` (and the CSRF token, as
every console form); that one makes the change and gets `finished`, whose button undoes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.web.common import render
from calendar_hub.web.console.auth import Signed

__all__ = ["confirmation", "confirmed", "finished"]


def confirmed(form: FormData) -> bool:
    """Whether the posted form is the second step, the one that says yes."""
    return form.get("confirm") == "yes"


def confirmation(request: Request, user: Signed, *, heading: str, consequences: Sequence[str], action: str,
                 button: str, back_to: str, fields: Mapping[str, str] | None = None) -> Response:
    """The page that asks first: what will happen, a button that does it (posting `confirm=yes`, and `fields`, what
    the first form said, again), a way back."""
    return render(request, "admin/confirm.html", user, heading=heading, consequences=list(consequences),
                  action=action, button=button, back_to=back_to, back_label="No, go back", finished=False,
                  fields=dict(fields or {}))


def finished(request: Request, user: Signed, *, heading: str, message: str, undo_action: str, undo_button: str,
             back_to: str, back_label: str, undo_fields: Mapping[str, str] | None = None) -> Response:
    """The page after the change: what was done, and a button that undoes it (posting `undo_fields`)."""
    return render(request, "admin/confirm.html", user, heading=heading, message=message, consequences=[],
                  action=undo_action, button=undo_button, back_to=back_to, back_label=back_label, finished=True,
                  fields=dict(undo_fields or {}))
