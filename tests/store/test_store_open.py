"""Opening the store: the default place, and one-line errors naming the database."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from swarmdeck.errors import ExitCode, StoreError
from swarmdeck.store import DEFAULT_URL, Store

from .factories import make_interval, make_meta


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _open_error(url: str | None) -> StoreError:
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    error = caught.value
    assert error.exit_code == ExitCode.COULD_NOT_RUN
    assert "\n" not in str(error) and error.hint
    assert error.__cause__ is None and error.__suppress_context__  # no chained traceback
    return error


def test_default_url_creates_the_folder_in_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open(None) as store:
        run_id = store.create_run(make_meta())
        assert store.url == DEFAULT_URL
    assert (tmp_path / ".swarmdeck" / "swarmdeck.db").is_file()
    with Store.open(DEFAULT_URL) as store:  # reopening keeps everything
        assert [row.id for row in store.list_runs()] == [run_id]


def test_unwritable_sqlite_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    for url in (f"sqlite:///{blocker}/runs.db", f"sqlite:///{blocker}/deeper/runs.db"):
        error = _open_error(url)
        assert url in error.message
        assert str(blocker) in error.message


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    error = _open_error(f"sqlite:///{path}")
    assert str(path) in error.message and "not a database" in error.message


def test_unreachable_postgres_names_the_url_without_password() -> None:
    url = f"postgresql+psycopg://swarm:s3cret@127.0.0.1:{_closed_port()}/runs"
    error = _open_error(url)
    assert url.replace("s3cret", "***") in error.message
    assert "s3cret" not in str(error)
    assert "refused" in error.message.lower()


@pytest.mark.parametrize("url", ["not a url", "mysql+nosuchdriver://u:p@h/db",
                                 "postgresql+psycopg://u:p@h:notaport/db"])
def test_bad_urls(url: str) -> None:
    error = _open_error(url)
    assert "results database" in error.message
    assert ":p@" not in str(error)


@pytest.mark.postgres
def test_missing_postgres_database(postgres_url: str) -> None:
    url = make_url(postgres_url).set(database="swarmdeck_no_such_db")
    error = _open_error(url.render_as_string(hide_password=False))
    assert "swarmdeck_no_such_db" in error.message
    assert "does not exist" in error.message


def test_a_database_from_a_newer_swarmdeck_is_refused(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.add_intervals(store.create_run(make_meta()), [make_interval(5)])
    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    error = _open_error(store_url)
    assert "newer swarmdeck" in (error.hint or "")


def test_plain_postgresql_urls_use_psycopg() -> None:
    for scheme in ("postgresql", "postgres"):
        error = _open_error(f"{scheme}://swarm:pw@127.0.0.1:{_closed_port()}/runs")
        assert "refused" in error.message.lower()  # psycopg tried, not a missing driver
