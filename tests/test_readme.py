"""The README says what the hub does: its commands table against `calendar-hub --help`, its tables whole, and the
demo as it runs."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from calendar_hub.cli import main
from calendar_hub.demo import shift_weeks
from calendar_hub.registry import read_registry

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO = ROOT / "feeds" / "demo"
NUMBERS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15}


def section(text: str, title: str) -> str:
    """The text of the `## title` section, up to the next section of the same level."""
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What `calendar-hub ARGV --help` prints."""
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--help"], environ={})
    assert stopped.value.code == 0
    return capsys.readouterr().out


def cli_commands(capsys: pytest.CaptureFixture[str]) -> dict[str, set[str]]:
    """Each subcommand `calendar-hub --help` lists, with the options its own --help lists."""
    listing = help_of(capsys).split("  COMMAND\n", 1)[1].split("\noptions:", 1)[0]
    names = re.findall(r"^ {4}(\S+)", listing, flags=re.MULTILINE)
    return {name: set(re.findall(r"(--[a-z][a-z-]*)", help_of(capsys, name))) - {"--help"} for name in names}


def readme_commands() -> dict[str, set[str]]:
    """Each `calendar-hub NAME ...` row of the README's commands table, with the options it names."""
    rows = re.findall(r"^\| `calendar-hub (\S+)([^`]*)` \|", section(README, "Commands"), flags=re.MULTILINE)
    return {name: set(re.findall(r"(--[a-z][a-z-]*)", rest)) for name, rest in rows}


def test_the_commands_table_names_every_command_and_option_of_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    commands = cli_commands(capsys)
    assert {"export-registry", "user", "serve", "demo"} <= set(commands)
    assert readme_commands() == commands


def test_the_help_names_every_command_in_its_description(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys)
    description = " ".join(text.split("\n\n", 2)[1].split())   # the paragraph after the usage line
    named = re.findall(r"[a-z][a-z-]+", description.split(":", 1)[1])
    assert named == list(cli_commands(capsys))


@pytest.mark.parametrize("path", ["README.md", "CONTRIBUTING.md", "feeds/README.md", "deploy/README.md",
                                  "benchmarks/README.md"])
def test_no_table_is_split_by_a_blank_line(path: str) -> None:
    text = re.sub(r"^```.*?^```", "", (ROOT / path).read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    blocks = re.findall(r"(?:^\|.*\n)+", text, flags=re.MULTILINE)
    for block in blocks:
        lines = block.splitlines()
        # a table is a header, its rule and rows; a lone row after a blank line renders as stray text
        assert len(lines) >= 2 and re.fullmatch(r"\|(?: *:?-{3,}:? *\|)+", lines[1]), block


def test_the_readme_counts_the_demo_as_loading_it_says(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = read_registry(DEMO)
    intro = " ".join(section(README, "Two commands").split())
    said = re.search(r"a fresh SQLite file in a temporary folder, (\w+) groups across the four nations, with "
                     r"(\w+) feeds \(one of them broken on purpose, for the console to show\), and one (\w+)-day "
                     r"week of action", intro)
    assert said, intro
    assert NUMBERS[said.group(1)] == len(registry.groups)
    assert NUMBERS[said.group(2)] == sum(len(g.feeds) for g in registry.groups)
    [week] = registry.weeks
    assert {"nine": 9}[said.group(3)] == (week.end - week.start).days + 1
    quoted = re.search(r"It prints `(loaded [^`]+)`", intro)
    assert quoted, intro
    env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    assert main(["load", str(DEMO)], environ=env) == 0
    [printed] = capsys.readouterr().out.splitlines()
    before, after = quoted.group(1).split("…")
    assert printed.startswith(before) and printed.endswith(after), printed
    assert re.search(rf"a table of the {sum(len(g.feeds) for g in registry.groups)} feeds refreshed", intro)


def test_the_demo_week_starts_when_the_readme_says() -> None:
    intro = " ".join(section(README, "Two commands").split())
    assert "starts on the first Saturday after today, so 1 to 7 days ahead" in intro
    [week] = read_registry(DEMO).weeks
    for offset in range(14):                           # every weekday, twice
        today = date(2027, 3, 1) + timedelta(days=offset)
        start = week.start + timedelta(weeks=shift_weeks(week.start, today))
        assert start.weekday() == 5 and 1 <= (start - today).days <= 7
