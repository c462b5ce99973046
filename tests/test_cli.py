"""The command line, as an operator uses it: init, load twice, refresh, feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from calendar_hub.cli import main
from tests.hubdata import moved_hub


def test_init_load_refresh_and_feeds(tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = moved_hub(tmp_path).folder
    env = {"CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}
    assert main(["init"], environ=env) == 0
    assert main(["load", str(folder)], environ=env) == 0
    assert "3 groups and 1 weeks" in capsys.readouterr().out
    assert main(["load", str(folder)], environ=env) == 0
    assert "0 added, 0 updated, 0 deactivated" in capsys.readouterr().out
    assert main(["refresh"], environ=env) == 0
    out = capsys.readouterr().out
    assert "3 feeds in" in out and "3 stored" in out
    assert "cardiff-migrant-welcome" in out and "stored" in out
    assert main(["refresh"], environ=env) == 0
    assert "3 unchanged" in capsys.readouterr().out
    assert main(["feeds"], environ=env) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["group", "URL", "status", "last", "success", "events", "skipped",
                                             "message"]
    assert "1 item had no event date" in table  # the news item without an event date


def test_a_bad_registry_is_an_error_with_a_message(tmp_path: Path, database_url: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.toml").write_text('[[group]]\nslug = "Bad Slug"\nname = "x"\n')
    assert main(["load", str(tmp_path)], environ={"CALENDAR_HUB_DATABASE_URL": database_url}) == 1
    assert "bad.toml" in capsys.readouterr().err
