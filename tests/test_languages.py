"""Each language has its own addresses; a visitor's choice (the switch, or their browser's) takes them there."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_a_welsh_address_answers_in_welsh_and_data_has_one_address_for_every_language(
        client: TestClient, demo: object) -> None:
    page = client.get("/cy/about")
    assert page.status_code == 200 and '<html lang="cy">' in page.text
    assert '<link rel="canonical" href="http://hub.test/cy/about">' in page.text
    assert client.get("/cy/calendar.ics").status_code == 404
    assert client.get("/calendar.ics", headers={"Accept-Language": "cy"}, follow_redirects=False).status_code == 200


def test_a_browser_preferring_welsh_is_sent_to_the_welsh_page_and_caches_are_told(
        client: TestClient, demo: object) -> None:
    sent = client.get("/about?x=1", headers={"Accept-Language": "cy,en;q=0.5"}, follow_redirects=False)
    assert (sent.status_code, sent.headers["location"]) == (302, "/cy/about?x=1")
    english = client.get("/about", headers={"Accept-Language": "en-GB,cy;q=0.5"}, follow_redirects=False)
    assert english.status_code == 200 and "Accept-Language" in english.headers["vary"]


def test_the_switch_is_remembered_over_the_browser_and_never_leaves_the_site(client: TestClient, demo: object) -> None:
    chosen = client.get("/language/en?next=/about", headers={"Accept-Language": "cy"}, follow_redirects=False)
    assert chosen.headers["location"] == "/about" and "language=en" in chosen.headers["set-cookie"]
    assert client.get("/about", headers={"Accept-Language": "cy"}, follow_redirects=False).status_code == 200
    client.get("/language/cy?next=/about", follow_redirects=False)
    assert client.get("/about", follow_redirects=False).headers["location"] == "/cy/about"
    for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        assert client.get(f"/language/cy?next={elsewhere}", follow_redirects=False).headers["location"] == "/cy"
