"""The docs match the registry, and their examples load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from swarmdeck.plan import COMMANDS, SETTINGS, SHAPE_KEYS, Setting, locust_options, resolve
from swarmdeck.plan.settings import markdown_table

REPO = Path(__file__).resolve().parents[2]
SETTINGS_DOC = REPO / "docs" / "settings.md"
PLAN_DOC = REPO / "docs" / "plan.md"
EXAMPLE = REPO / "examples" / "swarmdeck.toml"


def regenerate(command: str) -> str:
    return ('regenerate the table: .venv/bin/python -c "from swarmdeck.plan.settings '
            f"import markdown_table as t; print(t('{command}'))\"")


def section(command: str) -> str:
    """The part of docs/settings.md about one command."""
    text = SETTINGS_DOC.read_text()
    heading = f"\n## `swarmdeck {command}`\n"
    assert heading in text, f"docs/settings.md has no section {heading.strip()}"
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(("command", "setting"), [
    (command, setting) for command in COMMANDS for setting in SETTINGS
    if setting.belongs_to(command)], ids=lambda x: getattr(x, "name", x))
def test_every_setting_of_every_command_is_in_its_section(command: str,
                                                          setting: Setting) -> None:
    row = next(line for line in markdown_table(command).splitlines()
               if line.startswith(f"| `{setting.name}` |"))
    assert row in section(command).splitlines(), regenerate(command)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_s_table_is_the_registry_s(command: str) -> None:
    assert markdown_table(command) in section(command), regenerate(command)


def test_every_setting_belongs_to_a_command() -> None:
    assert all(any(s.belongs_to(c) for c in COMMANDS) for s in SETTINGS)


def test_the_example_plan_loads(tmp_path: Path) -> None:
    plan = resolve({"plan": str(EXAMPLE)}, {}, tmp_path)
    assert plan.plan_path == EXAMPLE
    assert plan.locustfile.resolve() == REPO / "scenarios" / "locustfile.py"
    assert plan.locustfile.exists()
    assert plan.host == "http://localhost:8000"
    assert plan.shape is not None and plan.shape.name == "step"
    assert [s.name for s in plan.shape.stages()] == ["baseline", "peak", "beyond_peak",
                                                     "recovery"]
    assert plan.end_s == plan.shape.total_duration_s == 360.0
    assert plan.tags == {"env": "staging", "branch": "main"}
    assert set(plan.sources.values()) - {"default", "--plan"} == {
        f"{EXAMPLE}:{n}" for n in (5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 18, 20, 25)}
    plan.ensure_bounded()


def test_the_plan_doc_shows_the_example_verbatim() -> None:
    assert EXAMPLE.read_text() in PLAN_DOC.read_text()


def toml_blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", PLAN_DOC.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("block", toml_blocks())
def test_every_toml_example_in_the_plan_doc_is_a_valid_plan(block: str, tmp_path: Path) -> None:
    (tmp_path / "swarmdeck.toml").write_text(block)
    plan = resolve({}, {}, tmp_path)
    plan.ensure_bounded()


@pytest.mark.parametrize(("shape", "key"), [
    (shape, key) for shape, keys in SHAPE_KEYS.items() for key in keys])
def test_every_shape_parameter_is_documented(shape: str, key: str) -> None:
    text = PLAN_DOC.read_text()
    section = text.split(f"### `{shape}`", 1)[1].split("\n### ", 1)[0]
    assert f"| `{key}` |" in section


def test_the_locust_options_in_the_docs_are_the_table_s() -> None:
    text = SETTINGS_DOC.read_text()
    for generated in ("markdown_table", "ignored_list"):
        assert getattr(locust_options, generated)() in text, (
            'regenerate: .venv/bin/python -c "from swarmdeck.plan.locust_options import '
            f'{generated} as t; print(t())"')
