"""Settings: read from the environment, documented once, and every one of them in the README."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from calendar_hub.errors import ConfigError
from calendar_hub.settings import SETTINGS_DOC, Settings, settings_table

README = Path(__file__).parents[1] / "README.md"


def test_every_setting_is_documented_and_in_the_readme() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert {name for name, _d, _m in SETTINGS_DOC.values()} == fields
    readme = README.read_text()
    for suffix in SETTINGS_DOC:
        assert f"`CALENDAR_HUB_{suffix}`" in readme, suffix


def test_the_readme_table_is_the_one_the_declarations_make_defaults_included() -> None:
    assert settings_table() in README.read_text()


def test_each_default_is_declared_once_and_shown_as_it_is() -> None:
    shown = {env: default for env, (_name, default, _meaning) in SETTINGS_DOC.items()}
    assert shown["WINDOW_FUTURE_DAYS"] == f"`{Settings().window_future_days}`"
    assert shown["FETCH_TOTAL_TIMEOUT"] == "`60`" and Settings().fetch_total_timeout == 60.0
    assert shown["SERVE_REFRESH"] == "`true`" and shown["SECRET_KEY"] == "(empty)"
    assert shown["TEMPLATES_DIR"] == "(bundled)" and Settings().templates_dir.name == "templates"


def test_values_are_read_with_their_types() -> None:
    settings = Settings.from_env({"CALENDAR_HUB_FETCH_CONCURRENCY": "7", "CALENDAR_HUB_SERVE_REFRESH": "no",
                                  "CALENDAR_HUB_FETCH_TOTAL_TIMEOUT": "2.5", "OTHER": "x"})
    assert settings.fetch_concurrency == 7
    assert settings.serve_refresh is False
    assert settings.fetch_total_timeout == 2.5
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize("variable, value", [("FETCH_CONCURRENCY", "many"), ("SERVE_REFRESH", "perhaps"),
                                             ("TIMEZONE", "Mars/Olympus")])
def test_a_wrong_value_is_a_config_error_naming_it(variable: str, value: str) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({f"CALENDAR_HUB_{variable}": value})


def test_the_user_agent_names_the_hub_and_its_address() -> None:
    agent = Settings(base_url="https://hub.example.org").user_agent
    assert agent.startswith("CalendarHub/") and "https://hub.example.org" in agent
