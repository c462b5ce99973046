"""The error tree drawn in errors.py's docstring is the tree the classes make, and form errors name their field."""

from __future__ import annotations

import re

import pytest

from calendar_hub import errors
from calendar_hub.console import joining, moderation


def drawn_tree() -> dict[str, str]:
    """{class name: parent name} from the docstring's drawing (indentation gives the parent)."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"^([ │]*)(?:[├└]── )?([A-Z][A-Za-z]+)\b", line)
        if not found or not found.group(2).endswith(("Error", "Conflict", "TooMany")):
            continue
        depth = len(found.group(1)) + (4 if "── " in line else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[found.group(2)] = stack[-1][1] if stack else ""
        stack.append((depth, found.group(2)))
    return parents


def test_the_drawing_matches_the_classes() -> None:
    drawn = drawn_tree()
    made = {name: cls.__mro__[1].__name__ if name != "HubError" else ""
            for name, cls in vars(errors).items() if isinstance(cls, type) and issubclass(cls, errors.HubError)}
    assert drawn == made
    assert set(made) == set(errors.__all__)


def test_what_a_person_typed_wrong_names_the_field_and_is_no_config_error() -> None:
    with pytest.raises(errors.InputError) as caught:
        joining.check_form("Leeds Welcome", "Leeds", "not an address", "https://leeds.example.org/")
    assert caught.value.field == "contact" and not isinstance(caught.value, errors.ConfigError)
    with pytest.raises(errors.InputError) as hidden:
        moderation.hide("uid@hub", title="Walk", reason="  ", session=None, actor="ada@hub.test")  # type: ignore[arg-type]
    assert hidden.value.field == "reason"
    assert not issubclass(errors.Conflict, errors.InputError | errors.ConfigError)
