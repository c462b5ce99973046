"""Bring every language's catalogue up to date with the text in the code and templates.

    .venv/bin/python scripts/translations.py

It does what `pybabel extract -F babel.cfg` and then `pybabel update` do: it reads every message in
calendar_hub/**.py and templates/**.html (babel.cfg), adds the new ones to each
calendar_hub/locale/<code>/LC_MESSAGES/messages.po with an empty translation, drops the ones no longer used,
and lists what is left to translate.  No guesses are made from similar messages (no fuzzy entries), and nothing
is compiled: the hub reads the .po files as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calendar_hub.language import DEFAULT, LANGUAGES, LOCALE_DIR  # noqa: E402  (after the path is set)


def extract() -> Catalog:
    """Every message babel.cfg names, with where it is used: the template the catalogues follow."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    template = Catalog(project="calendar-hub")
    for filename, lineno, message, comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context,
                     flags=("python-format",) if "%(" in str(message) else ())
    return template


def update(code: str, template: Catalog) -> list[str]:
    """Update the catalogue of `code` from `template`; the messages it still lacks a translation for."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        with path.open("rb") as file:
            catalogue = read_po(file, locale=LANGUAGES[code][1])
    else:
        catalogue = Catalog(locale=LANGUAGES[code][1], project="calendar-hub")
    catalogue.update(template, no_fuzzy_matching=True)
    with path.open("wb") as file:
        write_po(file, catalogue, width=120, ignore_obsolete=True)
    return [str(message.id) for message in catalogue
            if message.id and not all(message.string if isinstance(message.string, tuple) else [message.string])]


def main() -> int:
    template = extract()
    left = 0
    for code in LANGUAGES:
        if code == DEFAULT:
            continue
        untranslated = update(code, template)
        left += len(untranslated)
        print(f"{code}: {len(template)} messages, {len(untranslated)} to translate")
        for message in untranslated:
            print(f"  {message}")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
