"""Fixtures for the plan: resolve a plan the way the CLI does, from argv, environment and file."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from swarmdeck.plan import Plan, add_arguments, resolve


@pytest.fixture
def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="swarmdeck run")
    add_arguments(parser)
    return parser


@pytest.fixture
def plan_from(tmp_path: Path, run_parser: argparse.ArgumentParser) -> Callable[..., Plan]:
    """``plan_from(argv, env, toml, locust_args)``: write ``toml`` to ./swarmdeck.toml (if
    given) and resolve; ``locust_args`` are the arguments after ``--``."""

    def make(argv: Sequence[str] = (), env: Mapping[str, str] | None = None,
             toml: str | None = None, locust_args: Sequence[str] = ()) -> Plan:
        if toml is not None:
            (tmp_path / "swarmdeck.toml").write_text(toml, encoding="utf-8")
        args = run_parser.parse_args(list(argv))
        return resolve(vars(args), dict(env or {}), tmp_path, locust_args)

    return make
