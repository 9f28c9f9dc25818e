"""Store.list_runs filters (host, locustfile, tag, status, dates, offset), on SQLite and
PostgreSQL: what the runs page and /api/runs stand on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.store.conftest import _postgres_schema
from tests.store.factories import make_meta

from swarmdeck.store import Store

DAY = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
            yield opened
    else:
        for url in _postgres_schema(request.getfixturevalue("postgres_url")):
            with Store.open(url) as opened:
                yield opened


def test_filters(store: Store) -> None:
    odd_key = 'we"ird.key $[0]'
    a = store.create_run(make_meta(tags={"branch": "main", odd_key: "x y"}, started_at=DAY))
    b = store.create_run(make_meta(tags={"branch": "dev"}, host="http://b",
                                   started_at=DAY + timedelta(days=1)))
    c = store.create_run(make_meta(tags={}, locustfile="other.py",
                                   started_at=DAY + timedelta(days=2)))
    store.finish_run(a, "passed", DAY + timedelta(minutes=1))
    store.finish_run(b, "failed", DAY + timedelta(days=1, minutes=1))

    def ids(**kwargs: object) -> list[int]:
        return [row.id for row in store.list_runs(100, **kwargs)]  # type: ignore[arg-type]

    assert ids() == [c, b, a]
    assert ids(host="http://b") == [b]
    assert ids(locustfile="other.py") == [c]
    assert ids(tag=("branch", "main")) == [a]
    assert ids(tag=(odd_key, "x y")) == [a]
    assert ids(tag=("branch", "mai")) == []
    assert ids(status="failed") == [b]
    assert ids(since=DAY + timedelta(hours=1)) == [c, b]
    assert ids(until=DAY + timedelta(days=1)) == [a]
    assert ids(since=DAY, until=DAY + timedelta(days=2), status="passed") == [a]
    assert ids(offset=1) == [b, a]
    assert [row.id for row in store.list_runs(1, offset=2)] == [a]
    assert store.list_runs(1, tag=("branch", "dev"))[0].tags == {"branch": "dev"}


def test_runs_command_shows_tags(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from swarmdeck.cli import main

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    with Store.open(url) as opened:
        opened.create_run(make_meta(tags={"branch": "main", "build": "[b]42"}))
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["runs", "--db", url]) == 0
    table = capsys.readouterr().out
    assert "Tags" in table and "branch=main build=[b]42" in table  # not read as markup
    assert main(["runs", "--db", url, "--json"]) == 0
    assert '"build": "[b]42"' in capsys.readouterr().out
