"""Tests for calendar_hub.registry: the demo registry, every validation error, and the round trip."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from calendar_hub.console import groups as console
from calendar_hub.console import joining
from calendar_hub.errors import ConfigError
from calendar_hub.places import resolver
from calendar_hub.registry import SLUG_RE, FeedSpec, GroupSpec, Registry, WeekSpec, read_registry, slug_for
from calendar_hub.registry_export import write_registry
from calendar_hub.states import Origin
from calendar_hub.store import Engine, Session

DEMO = Path(__file__).resolve().parent.parent / "feeds" / "demo"
HUB_DATA = Path(__file__).resolve().parent / "data" / "hub"

GROUP = """
[[group]]
slug = "sanctuary-stockport"
name = "Sanctuary Stockport"
feeds = ["feeds/a.ics"]
"""


def local_path(url: str) -> Path:
    """The file a file:// URL names."""
    return Path(url2pathname(urlsplit(url).path))


def make_registry(folder: Path, text: str, *, name: str = "hub.toml") -> Path:
    """Write one registry file (and the feed files it may name) into `folder`."""
    (folder / "feeds").mkdir(parents=True, exist_ok=True)
    for feed in ("a.ics", "b.xml"):
        (folder / "feeds" / feed).write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    return folder


# -- the demo registry ---------------------------------------------------------------------------------


def test_demo_registry_has_groups_across_the_uk_and_one_week() -> None:
    registry = read_registry(DEMO)
    assert len(registry.groups) >= 10
    # regions come from where the groups are, not from the registry
    assert all(g.region == "" for g in registry.groups)
    regions = {resolver().locate(g.lat, g.lon).region for g in registry.groups
               if g.lat is not None and g.lon is not None}
    assert {"London", "North West", "West Midlands", "South West", "Yorkshire and The Humber",
            "Scotland", "Wales", "Northern Ireland"} <= regions
    assert all(g.lat is not None and g.lon is not None and g.home for g in registry.groups)
    assert [w.slug for w in registry.weeks] == ["communities-together"]
    week = registry.weeks[0]
    assert (week.start, week.end) == (date(2026, 12, 5), date(2026, 12, 13))
    assert week.tags == ("CT4R", "TogetherWithRefugees")
    assert week.groups == ()


def test_demo_feeds_are_resolved_to_existing_file_urls() -> None:
    registry = read_registry(DEMO)
    feeds = [f for g in registry.groups for f in g.feeds]
    assert len(feeds) == len(registry.groups) + 1  # one group also has the demo's broken feed
    for feed in feeds:
        assert feed.url.startswith("file:///")
        path = local_path(feed.url)
        assert path.is_file()
        assert path.is_relative_to(DEMO.resolve())
    stockport = registry.group("sanctuary-stockport")
    assert stockport is not None
    assert stockport.feeds == (FeedSpec((DEMO / "feeds" / "sanctuary-stockport.ics").resolve().as_uri()),)
    aigburth = registry.group("aigburth-community-hub")
    assert aigburth is not None and aigburth.feeds[0].kind == "rss"


# -- what a good registry may say ----------------------------------------------------------------------


def test_urls_are_kept_and_webcal_becomes_https(tmp_path: Path) -> None:
    make_registry(tmp_path, """
[[group]]
slug = "cardiff-migrant-welcome"
name = "Cardiff Migrant Welcome"
feeds = [
  "https://cardiff.example.org/events/feed/",
  "webcal://calendar.example.org/cardiff.ics",
  { url = "http://cardiff.example.org/events.ics", kind = "ical" },
  { url = "feeds/b.xml", kind = "rss" },
]
""")
    group = read_registry(tmp_path).groups[0]
    assert group.feeds == (
        FeedSpec("https://cardiff.example.org/events/feed/"),
        FeedSpec("https://calendar.example.org/cardiff.ics"),
        FeedSpec("http://cardiff.example.org/events.ics", "ical"),
        FeedSpec((tmp_path / "feeds" / "b.xml").resolve().as_uri(), "rss"),
    )
    assert (group.website, group.home, group.region, group.contact) == ("", "", "", "")
    assert (group.lat, group.lon) == (None, None)


def test_a_feed_may_be_private_or_from_the_web(tmp_path: Path) -> None:
    make_registry(tmp_path, G + """feeds = [
  { url = "http://calendar.office.lan/team.ics", private = true },
  { url = "https://leeds.example.org/feed/", kind = "rss", origin = "web" },
  { url = "feeds/a.ics", private = false, origin = "registry" },
]
""")
    assert read_registry(tmp_path).groups[0].feeds == (
        FeedSpec("http://calendar.office.lan/team.ics", private=True),
        FeedSpec("https://leeds.example.org/feed/", "rss", origin=Origin.WEB),
        FeedSpec((tmp_path / "feeds" / "a.ics").resolve().as_uri()),
    )


def test_files_are_read_in_order_and_a_week_may_name_a_group_from_a_later_file(tmp_path: Path) -> None:
    make_registry(tmp_path, """
[[week]]
slug = "refugee-week"
name = "Refugee Week"
start = 2027-06-14
end = 2027-06-20
tags = ["#RefugeeWeek"]
groups = ["sanctuary-stockport"]
""", name="a-weeks.toml")
    make_registry(tmp_path, GROUP + "lat = 53\nlon = -2.1575\n", name="b-groups.toml")
    (tmp_path / "notes.txt").write_text("not a registry file", encoding="utf-8")
    registry = read_registry(tmp_path)
    assert registry.weeks == (WeekSpec("refugee-week", "Refugee Week", date(2027, 6, 14), date(2027, 6, 20),
                                       ("RefugeeWeek",), "", ("sanctuary-stockport",)),)
    assert registry.groups[0].lat == 53.0 and isinstance(registry.groups[0].lat, float)
    assert registry.week("refugee-week") is registry.weeks[0]
    assert registry.group("nobody") is None


def test_a_week_without_tags_is_allowed(tmp_path: Path) -> None:
    make_registry(tmp_path, '[[week]]\nslug = "open"\nname = "Open"\nstart = 2027-01-01\nend = 2027-01-01\n')
    assert read_registry(tmp_path).weeks[0].tags == ()


# -- every mistake, with its message --------------------------------------------------------------------

G = '[[group]]\nslug = "x"\nname = "X"\n'
W = '[[week]]\nslug = "w"\nname = "W"\nstart = 2026-12-05\nend = 2026-12-13\n'
BAD: list[tuple[str, str, str]] = [
    ("not_toml", "[[group]\nslug = 1", "not valid TOML"),
    ("unknown_top_level_key", GROUP + '[[groups]]\nslug = "x"\n', "unknown top-level key 'groups'"),
    ("group_as_plain_table", '[group]\nslug = "x"\nname = "X"\n', "'group' must be written as [[group]]"),
    ("missing_slug", '[[group]]\nname = "X"\n', "group #1: 'slug' is required"),
    ("slug_with_capitals", '[[group]]\nslug = "Stockport"\nname = "X"\n',
     "slug 'Stockport' must be lower-case"),
    ("slug_starting_with_hyphen", '[[group]]\nslug = "-x"\nname = "X"\n', "slug '-x' must be lower-case"),
    ("slug_not_a_string", '[[group]]\nslug = 7\nname = "X"\n', "'slug' must be a string, not int"),
    ("missing_name", '[[group]]\nslug = "x"\n', "group 'x': 'name' is required"),
    ("blank_name", '[[group]]\nslug = "x"\nname = "  "\n', "group 'x': 'name' is required"),
    ("duplicate_group_slug", GROUP + GROUP, "group 'sanctuary-stockport': slug already used in"),
    ("unknown_group_key", GROUP + 'webiste = "https://x.example.org"\n',
     "group 'sanctuary-stockport': unknown key 'webiste' (known keys: slug, name, website"),
    ("website_without_scheme", G + 'website = "www.example.org"\n', "website 'www.example.org' must start"),
    ("latitude_out_of_range", G + "lat = 91.0\nlon = 0.0\n", "lat = 91.0 is outside -90..90"),
    ("longitude_out_of_range", G + "lat = 51.0\nlon = -180.5\n", "lon = -180.5 is outside -180..180"),
    ("latitude_without_longitude", G + "lat = 51.0\n", "give both lat and lon, or neither"),
    ("latitude_as_string", G + 'lat = "51.5"\nlon = 0.1\n', "'lat' must be a number, not str"),
    ("latitude_as_boolean", G + "lat = true\nlon = 0.1\n", "'lat' must be a number, not bool"),
    ("latitude_not_finite", G + "lat = nan\nlon = 0.1\n", "lat = nan is outside"),
    ("feeds_not_a_list", G + 'feeds = "feeds/a.ics"\n', "'feeds' must be a list"),
    ("feed_a_number", G + "feeds = [3]\n", "each feed must be a URL string"),
    ("feed_table_without_url", G + 'feeds = [{ kind = "rss" }]\n', "a feed table needs a 'url' string"),
    ("feed_table_unknown_key", G + 'feeds = [{ url = "feeds/a.ics", knd = "ical" }]\n',
     "group 'x': feed: unknown key 'knd'"),
    ("feed_unknown_kind", G + 'feeds = [{ url = "feeds/a.ics", kind = "atom" }]\n',
     "feed kind 'atom' must be one of ical, rss"),
    ("feed_private_as_string", G + 'feeds = [{ url = "https://example.org/a.ics", private = "yes" }]\n',
     "feed https://example.org/a.ics: 'private' must be true or false, not 'yes'"),
    ("feed_unknown_origin", G + 'feeds = [{ url = "https://example.org/a.ics", origin = "console" }]\n',
     "feed https://example.org/a.ics: origin 'console' must be one of registry, web"),
    ("feed_web_and_private", G + 'feeds = [{ url = "https://example.org/a.ics", origin = "web", private = true }]\n',
     "a feed that came through the web cannot be private"),
    ("feed_web_local_file", G + 'feeds = [{ url = "feeds/a.ics", origin = "web" }]\n',
     "a feed that came through the web cannot be a local file"),
    ("feed_ftp_scheme", G + 'feeds = ["ftp://example.org/a.ics"]\n', "scheme 'ftp' is not allowed"),
    ("feed_without_host", G + 'feeds = ["https:///a.ics"]\n', "has no host"),
    ("feed_file_url", G + 'feeds = ["file:///etc/passwd"]\n',
     "give a local file as a path relative to hub.toml, not a file:// URL"),
    ("feed_absolute_path", G + 'feeds = ["/etc/passwd"]\n',
     "a local file must be a path relative to hub.toml"),
    ("feed_escaping_the_folder", G + 'feeds = ["feeds/../../a.ics"]\n', "points outside the registry folder"),
    ("feed_file_missing", G + 'feeds = ["feeds/missing.ics"]\n', "feed 'feeds/missing.ics': no such file"),
    ("feed_folder_not_file", G + 'feeds = ["feeds"]\n', "no such file"),
    ("duplicate_feed", G + 'feeds = ["feeds/a.ics", "./feeds/a.ics"]\n', "is listed twice"),
    ("duplicate_feed_via_webcal", G + 'feeds = ["https://example.org/a.ics", "webcal://example.org/a.ics"]\n',
     "feed https://example.org/a.ics is listed twice"),
    ("week_missing_start", '[[week]]\nslug = "w"\nname = "W"\nend = 2026-12-13\n',
     "week 'w': 'start' is required"),
    ("week_missing_name", '[[week]]\nslug = "w"\nstart = 2026-12-05\nend = 2026-12-13\n',
     "week 'w': 'name' is required"),
    ("week_start_quoted", '[[week]]\nslug = "w"\nname = "W"\nstart = "2026-12-05"\nend = 2026-12-13\n',
     "'start' must be a date like 2026-12-05 (no quotes, no time)"),
    ("week_end_with_time", '[[week]]\nslug = "w"\nname = "W"\nstart = 2026-12-05\nend = 2026-12-13T10:00:00',
     "'end' must be a date like"),
    ("week_start_after_end", '[[week]]\nslug = "w"\nname = "W"\nstart = 2026-12-14\nend = 2026-12-13\n',
     "start 2026-12-14 is after end 2026-12-13"),
    ("week_unknown_key", W + 'tag = ["x"]\n', "week 'w': unknown key 'tag'"),
    ("week_tags_not_strings", W + "tags = [1]\n", "'tags' must be a list of strings"),
    ("week_empty_tag", W + 'tags = ["#"]\n', "tags must not be empty"),
    ("week_duplicate_tag", W + 'tags = ["CT4R", "#ct4r"]\n', "a tag is listed twice"),
    ("week_unknown_group", GROUP + W + 'groups = ["sanctuary-stokport"]\n',
     "week 'w': groups names unknown group 'sanctuary-stokport'"),
    ("week_duplicate_group", GROUP + W + 'groups = ["sanctuary-stockport", "sanctuary-stockport"]\n',
     "a group is listed twice in 'groups'"),
    ("duplicate_week_slug", W * 2, "week 'w': slug already used in"),
]


@pytest.mark.parametrize(("text", "message"), [(t, m) for _, t, m in BAD], ids=[i for i, _, _ in BAD])
def test_a_bad_registry_is_refused_with_a_helpful_message(tmp_path: Path, text: str, message: str) -> None:
    make_registry(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_registry(tmp_path)
    assert message in str(caught.value)
    assert "hub.toml" in str(caught.value)


def test_a_slug_used_in_two_files_names_both(tmp_path: Path) -> None:
    make_registry(tmp_path, GROUP, name="a.toml")
    make_registry(tmp_path, GROUP, name="b.toml")
    pattern = r"b\.toml: group 'sanctuary-stockport': slug already used in .*a\.toml"
    with pytest.raises(ConfigError, match=pattern):
        read_registry(tmp_path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "hub.toml").write_bytes(b'[[group]]\nslug = "x"\nname = "Caf\xe9"\n')
    with pytest.raises(ConfigError, match="hub.toml: not UTF-8"):
        read_registry(tmp_path)


def test_a_missing_or_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_registry(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match=r"has no \*\.toml files"):
        read_registry(tmp_path)


# -- writing it back ------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field_and_awkward_text(tmp_path: Path) -> None:
    make_registry(tmp_path, "")
    awkward = 'Quotes " and \\ backslash, tab\tnewline\nbell\x07 delete\x7f, Café “Croeso” 🎶'
    registry = Registry(
        groups=(
            GroupSpec("cardiff-migrant-welcome", awkward, website="https://cardiff.example.org",
                      home="Cardiff CF10", region="Wales", lat=51.4816, lon=-3.1791,
                      contact="hello@cardiff.example.org",
                      feeds=(FeedSpec("https://cardiff.example.org/feed/", "rss"),
                             FeedSpec((tmp_path / "feeds" / "a.ics").resolve().as_uri()))),
            GroupSpec("belfast-unity-choir", "Belfast Unity Choir"),
        ),
        weeks=(WeekSpec("communities-together", "Communities Together for Refugees", date(2026, 12, 5),
                        date(2026, 12, 13), ("CT4R", "TogetherWithRefugees"), awkward,
                        ("belfast-unity-choir",)),
               WeekSpec("open-week", "Open week", date(2027, 1, 1), date(2027, 1, 1), ())),
    )
    write_registry(registry, tmp_path)
    assert read_registry(tmp_path) == registry
    assert 'url = "feeds/a.ics"' not in (tmp_path / "hub.toml").read_text(encoding="utf-8")
    assert '"feeds/a.ics"' in (tmp_path / "hub.toml").read_text(encoding="utf-8")


def test_round_trip_keeps_private_and_web_feeds_and_writes_only_what_differs(tmp_path: Path) -> None:
    make_registry(tmp_path, "")
    feeds = (FeedSpec("http://calendar.office.lan/team.ics", private=True),
             FeedSpec("https://leeds.example.org/feed/", "rss", origin=Origin.WEB),
             FeedSpec("https://leeds.example.org/cal.ics", origin=Origin.WEB),
             FeedSpec("https://plain.example.org/cal.ics"))
    registry = Registry(groups=(GroupSpec("leeds-welcome", "Leeds Welcome", feeds=feeds),), weeks=())
    write_registry(registry, tmp_path)
    assert read_registry(tmp_path) == registry
    written = (tmp_path / "hub.toml").read_text(encoding="utf-8")
    assert ('feeds = [{ url = "http://calendar.office.lan/team.ics", private = true }, '
            '{ url = "https://leeds.example.org/feed/", kind = "rss", origin = "web" }, '
            '{ url = "https://leeds.example.org/cal.ics", origin = "web" }, "https://plain.example.org/cal.ics"]'
            ) in written


def test_round_trip_of_the_demo_registry(tmp_path: Path) -> None:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    registry = read_registry(copy)
    write_registry(registry, copy)
    assert read_registry(copy) == registry


def test_writing_a_local_feed_outside_the_folder_is_refused(tmp_path: Path) -> None:
    registry = read_registry(DEMO)
    with pytest.raises(ConfigError, match="group 'sanctuary-stockport': local feed .* is outside"):
        write_registry(registry, tmp_path / "elsewhere")


def test_writing_beside_other_registry_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "groups.toml").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"other registry files \(groups\.toml\)"):
        write_registry(Registry(groups=(), weeks=()), tmp_path)


@pytest.mark.parametrize(("name", "slug"), [
    ("Дом культуры «Москва»", "dom-kultury-moskva"),                # Cyrillic, transliterated
    ("Українська громада Манчестера", "ukrainska-gromada-manchestera"),
    ("جمعية الجالية العربية", "jm-y-ljly-l-rby"),                     # Arabic, in Latin letters
    ("Ærø Straße Welcome", "aero-strasse-welcome"),
    ("— —", "group"),                                                # nothing to write: the fallback
])
def test_a_slug_made_from_a_name_in_another_script_is_readable_latin(name: str, slug: str) -> None:
    assert slug_for(name) == slug and SLUG_RE.fullmatch(slug)


def test_slugs_made_from_latin_names_are_as_before() -> None:
    """The demo's and the fixtures' group names, and names the join and submit tests use, give the same slugs."""
    names = [g.name for folder in (DEMO, HUB_DATA) for g in read_registry(folder).groups]
    names += ["Women’s Aid Leeds", "Women's Aid", "<i>Gang</i>", "Gŵyl Croeso Caerdydd", "Café & Co",
              "St. Mary’s", "100% Welcome", "A" * 100]
    assert [slug_for(name) for name in names] == [
        "sanctuary-stockport", "manchester-welcome-circle", "merseyside-refugee-welcome", "aigburth-community-hub",
        "camden-welcome-table", "amnesty-international-croydon-group", "coventry-migrant-welcome",
        "birmingham-faiths-for-sanctuary", "plymouth-welcomes-refugees", "sheffield-refugee-conversation-club",
        "glasgow-southside-welcome", "cardiff-migrant-welcome", "belfast-unity-choir",
        "sanctuary-manchester", "liverpool-welcome-network", "cardiff-migrant-welcome",
        "womens-aid-leeds", "women-s-aid", "i-gang-i", "gwyl-croeso-caerdydd", "cafe-co", "st-marys",
        "100-welcome", "a" * 80]


def test_a_joining_group_with_a_cyrillic_name_gets_a_latin_slug_of_its_own(engine: Engine) -> None:
    with Session(engine) as session:
        assert joining.free_slug("Дом культуры", session=session) == "dom-kultury"
        console.add_group({"slug": "dom-kultury", "name": "Дом культуры"}, session=session, actor="test")
        assert joining.free_slug("Дом культуры", session=session) == "dom-kultury-2"
