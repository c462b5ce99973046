"""schema.org in JSON-LD-shaped objects, the shape every syntax is read into: its event types, a property by
any spelling, an object's types, and a value as plain text.
"""

from __future__ import annotations

import html as html_entities
import re
from typing import Any

# schema.org's Event and its subtypes that are gatherings (not DeliveryEvent, PublicationEvent or
# the retired UserInteraction family).  An EventSeries is read only for its subEvents: its dates
# span the whole series, not one occurrence.
EVENT_TYPES = frozenset({
    "Event", "BusinessEvent", "ChildrensEvent", "ComedyEvent", "CourseInstance", "DanceEvent",
    "EducationEvent", "EventSeries", "ExhibitionEvent", "Festival", "FoodEvent", "Hackathon",
    "LiteraryEvent", "MusicEvent", "SaleEvent", "ScreeningEvent", "SocialEvent", "SportsEvent",
    "TheaterEvent", "VisualArtsEvent",
})
_SCHEMA_PREFIXES = ("", "schema:", "http://schema.org/", "https://schema.org/")
_SCRIPT_BLOCK = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!?][^>]*(?:>|$)")
# JSON can carry what no text may: NULs and other controls, and lone surrogates ("\\ud800").
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def schema_types(node: dict[str, Any]) -> set[str]:
    """The node's @type names without their vocabulary ("https://schema.org/MusicEvent" -> "MusicEvent")."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/#:]", value.strip())[-1] for value in values[:10] if isinstance(value, str)}


def schema_get(node: dict[str, Any], key: str) -> Any:
    """A schema.org property, also when written with a prefix ("schema:startDate") or in full."""
    for prefix in _SCHEMA_PREFIXES:
        value = node.get(prefix + key)
        if value is not None:
            return value
    return None


def text_of(value: Any) -> str:
    """A property's text: a string, a number, a JSON-LD value object, or the first of a list that has one."""
    if isinstance(value, str):
        return _UNSAFE.sub("", value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        return text_of(value.get("@value"))
    if isinstance(value, list):
        for item in value[:20]:
            text = text_of(item)
            if text.strip():
                return text
    return ""


def unslash(text: str) -> str:
    """Undo WordPress's esc_js, which The Events Calendar runs on names and descriptions: "\\n" and "\\'"."""
    if "\\" not in text:
        return text
    return text.replace("\\r", "").replace("\\n", "\n").replace("\\'", "'").replace('\\"', '"')


def one_line(text: str) -> str:
    """One line of plain text from text that may hold markup or (even doubly) encoded entities."""
    text = unslash(text)
    for _ in range(3):
        if "&" not in text and "<" not in text:
            break
        text = html_entities.unescape(text)
        text = _TAG.sub(" ", _SCRIPT_BLOCK.sub(" ", text))
    return " ".join(text.split())
