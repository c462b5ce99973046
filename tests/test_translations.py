"""Every public page speaks English and Welsh: no English left outside the translation calls, a complete Welsh
catalogue, and Welsh pages (with Welsh dates and place names) under /cy/."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment
from starlette.testclient import TestClient

from calendar_hub import language
from calendar_hub.console.submission_form import FormProblems, check_form
from calendar_hub.language import LANGUAGES, LOCALE_DIR
from calendar_hub.places import Place, translated_note
from tests.hubdata import WEEK, HubData

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
# Words that are the same in every language: product names and units, as written on the page.
NAMES = r"\bkm\b"
VISIBLE_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
MONTHS = "Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr"


def public_templates() -> list[Path]:
    """Every template a visitor sees (the console, under admin/, stays in English)."""
    return sorted(path for path in TEMPLATES.rglob("*.html")
                  if "admin" not in path.relative_to(TEMPLATES).parts)


def untranslated(source: str) -> list[str]:
    """The English in a template outside {% trans %} and _(): its text between tags, and its visible attributes.

    The template's data (its markup and text) outside translation blocks is joined, with every expression and
    tag in its place as a mark; script and code elements are program text, not words to translate."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    parts: list[str] = []
    in_trans, keyword_next = False, False
    for _line, kind, value in env.lex(source):
        if kind == "block_begin":
            keyword_next = True
            parts.append("\x00")
        elif kind == "name" and keyword_next:
            keyword_next = False
            in_trans = {"trans": True, "endtrans": False}.get(value, in_trans)
        elif kind == "variable_begin":
            parts.append("\x00")
        elif kind == "data" and not in_trans:
            parts.append(value)
    text = "".join(parts)
    text = re.sub(r"<(script|style|code)\b.*?</\1>", "\x00", text, flags=re.S)
    found = []
    for tag in re.findall(r"<[^>]*>", text):
        for name, value in re.findall(r'\b([\w-]+)="([^"]*)"', tag):
            if name in VISIBLE_ATTRIBUTES or (name == "value" and re.search(r'type="(submit|button|reset)"', tag)):
                found += _words(value)
    between = re.sub(r"<[^>]*>", "\x00", text)
    # A macro may write part of a tag (its attributes): those are markup too.
    found += _words(re.sub(r'\b[\w-]+="[^"\x00]*"?', "\x00", between))
    return found


def _words(text: str) -> list[str]:
    """The runs of text in `text` that hold a letter (entities and marks apart), less the names that need no words."""
    runs = [" ".join(run.split()) for run in html.unescape(text).split("\x00")]
    return [run for run in runs if re.search(r"[^\W\d_]", re.sub(NAMES, "", run))]


def test_the_check_finds_english_outside_translations() -> None:
    assert untranslated("<p>Hello {{ name }}</p>") == ["Hello"]
    assert untranslated('<button aria-label="Close">{% trans %}Close{% endtrans %}</button>') == ["Close"]
    assert untranslated('<input type="submit" value="Send">') == ["Send"]
    assert untranslated("<p>{% trans %}Hello{% endtrans %} · {{ name }}</p><script>var a = 'b';</script>") == []
    assert untranslated("{% if x %}<p title=\"{{ _('Hi') }}\">{{ _('Hi') }} (3 km)</p>{% endif %}") == []


@pytest.mark.parametrize("template", public_templates(), ids=lambda path: path.relative_to(TEMPLATES).as_posix())
def test_a_public_template_has_no_english_outside_translations(template: Path) -> None:
    assert untranslated(template.read_text(encoding="utf-8")) == []


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """What `pybabel extract -F babel.cfg` finds: each msgid with where it comes from."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        if key:
            found.setdefault(key, []).append(filename)
    return found


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != "en"])
def test_the_catalogue_translates_every_message_with_the_same_placeholders(code: str) -> None:
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalogue = read_po(file, locale=LANGUAGES[code][1])
    messages = {message.id if isinstance(message.id, str) else tuple(message.id): message
                for message in catalogue if message.id}
    wanted = extracted()
    assert sorted(map(str, set(wanted) - set(messages))) == [], "run scripts/translations.py, then translate"
    assert sorted(map(str, set(messages) - set(wanted))) == [], "obsolete entries: run scripts/translations.py"
    for key, message in messages.items():
        sources = [key] if isinstance(key, str) else list(key)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert len(strings) == (catalogue.num_plurals if isinstance(key, tuple) else 1), key
        assert not message.fuzzy, key
        for string in strings:
            assert string.strip(), f"no translation of {key!r}"
            found = set(PLACEHOLDER.findall(string))
            if len(sources) == 1:
                assert found == set(PLACEHOLDER.findall(sources[0])), (key, string)
            else:  # a plural form may leave out the number ("yfory", tomorrow), never any other placeholder
                assert set(PLACEHOLDER.findall(sources[0])) <= found <= set(PLACEHOLDER.findall(sources[-1])), \
                    (key, string)


WELSH_PAGES = [
    ("/cy/about", ["Amdanom ni", "Sut mae’n gweithio"]),
    ("/cy/join/", ["Ychwanegu calendr eich grŵp", "Enw eich grŵp"]),
    ("/cy/submit/", ["Anfon un digwyddiad atom", "Yn dechrau am"]),
    ("/cy/subscribe", ["Sut i danysgrifio", "Copïo’r cyfeiriad"]),
    ("/cy/map", ["Map o ddigwyddiadau", "Hidlo’r digwyddiadau", "Ger cod post neu dref"]),
    ("/cy/groups", ["Pwy arall sydd allan yna", "Caerdydd"]),
]


@pytest.mark.parametrize(("path", "phrases"), WELSH_PAGES, ids=[path for path, _ in WELSH_PAGES])
def test_a_welsh_page_is_in_welsh(hub: HubData, client: TestClient, path: str, phrases: list[str]) -> None:
    page = client.get(path)
    assert page.status_code == 200 and '<html lang="cy">' in page.text
    for phrase in phrases:
        assert phrase in page.text, phrase


def test_a_welsh_week_has_welsh_dates_and_place_names_and_an_english_one_has_neither(
        hub: HubData, client: TestClient) -> None:
    week = WEEK
    welsh, english = client.get(f"/cy/weeks/{week}").text, client.get(f"/weeks/{week}").text
    assert re.search(rf"Dydd (Sul|Llun|Mawrth|Mercher|Iau|Gwener|Sadwrn) \d{{1,2}} ({MONTHS}) \d{{4}}", welsh)
    assert '<h2 id="region-' in welsh and ">Cymru <span" in welsh and 'class="town">Caerdydd</h3>' in welsh
    assert ">Wales <span" in english and 'class="town">Cardiff</h3>' in english
    assert "Dydd " not in english and "Caerdydd" not in english


def test_a_welsh_event_page_says_when_in_welsh(hub: HubData, client: TestClient) -> None:
    events = client.get("/api/events.json").json()["events"]
    uid = next(event["uid"] for event in events if not event.get("all_day"))
    page = client.get(f"/cy/events/{uid.replace('@', '%40')}")
    assert page.status_code == 200
    assert re.search(rf"Dydd \w+ \d{{1,2}} ({MONTHS}) \d{{4}}, \d\d:\d\d", page.text)
    assert ">Pryd</dt>" in page.text and "Ychwanegu at eich calendr" in page.text
    assert f'href="http://hub.test/cy/events/{uid.replace("@", "%40")}"' in page.text  # its canonical address


def test_a_welsh_error_page_explains_in_welsh(hub: HubData, client: TestClient) -> None:
    missing = client.get("/cy/no-such-page")
    assert missing.status_code == 404 and "Nid oes tudalen yn y cyfeiriad hwn." in missing.text
    unknown = client.get("/cy/map?near=Atlantis")
    assert unknown.status_code == 400 and "Nid yw’r hyb yn adnabod lle o’r enw “Atlantis”." in unknown.text


def test_every_page_names_its_address_in_each_language(hub: HubData, client: TestClient) -> None:
    for path in ("/about", "/cy/about"):
        page = client.get(path, headers={"Host": "evil.example"}).text
        assert '<link rel="alternate" hreflang="en-GB" href="http://hub.test/about">' in page
        assert '<link rel="alternate" hreflang="cy" href="http://hub.test/cy/about">' in page
        assert '<link rel="alternate" hreflang="x-default" href="http://hub.test/about">' in page
    week = client.get(f"/cy/weeks/{WEEK}/map?region=Wales").text
    assert f'hreflang="en-GB" href="http://hub.test/weeks/{WEEK}/map?region=Wales"' in week


def test_the_sitemap_lists_each_page_in_each_language_with_its_alternates(hub: HubData, client: TestClient) -> None:
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    sitemap, xhtml = "{http://www.sitemaps.org/schemas/sitemap/0.9}", "{http://www.w3.org/1999/xhtml}"
    entries = {url.findtext(f"{sitemap}loc"): {link.get("hreflang"): link.get("href")
                                                for link in url.iter(f"{xhtml}link")} for url in root}
    assert "http://hub.test/about" in entries and "http://hub.test/cy/about" in entries
    assert entries["http://hub.test/cy/about"] == {"en-GB": "http://hub.test/about", "cy": "http://hub.test/cy/about",
                                                   "x-default": "http://hub.test/about"}
    assert entries[f"http://hub.test/cy/weeks/{WEEK}"]["en-GB"] == f"http://hub.test/weeks/{WEEK}"


def test_the_forms_say_what_to_put_right_in_the_visitors_language() -> None:
    typed = {"group_name": "", "contact": "nobody", "title": "Picnic", "day": "31/2/2026", "start_time": "25:00",
             "end_time": "20:00", "location": "", "url": "ftp://x"}
    problems: dict[str, dict[str, str]] = {}
    for code in ("en", "cy"):
        with language.use(code), pytest.raises(FormProblems) as raised:
            check_form(typed, weeks=[], zone=ZoneInfo("Europe/London"), now=datetime(2026, 6, 1, tzinfo=UTC))
        problems[code] = raised.value.problems
    assert problems["en"]["group_name"] == "Please give your group's name."
    assert problems["cy"]["group_name"] == "Rhowch enw eich grŵp."
    assert problems["cy"]["day"] == "Ni allwn ddarllen “31/2/2026” fel diwrnod: ysgrifennwch ef fel 5/12/2026."
    assert problems["cy"]["url"].startswith("Rhaid i’r ddolen fod yn gyfeiriad gwe")
    assert problems["en"].keys() == problems["cy"].keys()


@pytest.mark.parametrize(("place", "welsh"), [
    (Place(53.4, -2.2, "coordinates", 0.0), "Yr union le, o galendr y grŵp"),
    (Place(53.4, -2.2, "postcode", 0.8, "M2 5"), "Wedi’i osod yn ôl ei god post (M2 5), o fewn tua 1 km"),
    (Place(53.4, -2.2, "geocoder", 3.2), "Wedi’i osod drwy chwilio am ei gyfeiriad, o fewn tua 3 km"),
    (Place(51.5, -3.2, "group", 10.0, "Cardiff"), "Bras: cartref y grŵp, Cardiff"),
    (Place(51.6, -3.0, "town", 5.0, "Newport", ambiguous=True),
     "Bras: mae mwy nag un Newport; wedi’i osod yn yr un mwyaf tebygol"),
    (Place(53.8, -1.5, "town", 4.0, "Leeds"), "Wedi’i osod yn ôl enw’r lle Leeds, o fewn tua 4 km"),
])
def test_how_an_event_was_placed_reads_in_the_pages_language(place: Place, welsh: str) -> None:
    note = place.note()  # the catalogue keeps the English words; pages translate them
    assert translated_note(note, language.gettext) == note
    with language.use("cy"):
        assert translated_note(note, language.gettext) == welsh
        assert translated_note("A note of some other shape", language.gettext) == "A note of some other shape"
