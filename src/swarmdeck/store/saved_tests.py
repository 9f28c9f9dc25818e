"""Saved tests (LoadForge's word): a name and its versions. A version is immutable: its
locustfile (the source as uploaded, its SHA-256, and the server path it came from, if
any) and its settings (swarmdeck.launch.spec.TestSettings as JSON). Editing a test
adds a version; deleting one hides it (``deleted_at``) so that the runs made from it keep
pointing at what they ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.errors import ItemNotFound
from swarmdeck.store import items, models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.liveness import db_now


class SavedTestRow(models.Base):
    __tablename__ = "saved_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    current_version: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime | None] = mapped_column(models.UTCDateTime)


class TestVersionRow(models.Base):
    __tablename__ = "test_versions"

    test_id: Mapped[int] = mapped_column(ForeignKey("saved_tests.id", ondelete="CASCADE"),
                                         primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    locustfile_name: Mapped[str] = mapped_column(String(255))
    locustfile_source: Mapped[str] = mapped_column(Text)
    locustfile_sha256: Mapped[str] = mapped_column(String(64))
    locustfile_path: Mapped[str | None] = mapped_column(Text)  # from the allowed folder
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


saved_tests = cast(Table, SavedTestRow.__table__)
test_versions = cast(Table, TestVersionRow.__table__)


@dataclass(frozen=True)
class StoredLocustfile:
    """A version's locustfile: its name, source as uploaded, SHA-256, and the server path it
    was read from (None: uploaded)."""

    name: str
    source: str
    sha256: str
    path: str | None = None


@dataclass(frozen=True)
class TestVersion:
    __test__ = False  # not a pytest test class

    test_id: int
    version: int
    created_by: str
    created_at: datetime
    locustfile: StoredLocustfile
    settings: dict[str, Any]  # swarmdeck.launch.spec.TestSettings.to_json()


@dataclass(frozen=True)
class SavedTest:
    id: int
    name: str
    created_by: str
    created_at: datetime
    current: TestVersion
    versions: int  # how many


def _version(row: Any) -> TestVersion:
    locustfile = StoredLocustfile(row.locustfile_name, row.locustfile_source,
                                  row.locustfile_sha256, row.locustfile_path)
    return TestVersion(int(row.test_id), int(row.version), row.created_by, row.created_at,
                       locustfile, dict(row.settings))


def _missing(test_id: int) -> ItemNotFound:
    return ItemNotFound(f"no test {test_id}", "see the tests page or `GET /api/tests`")


def get_version(connection: Connection, test_id: int, version: int) -> TestVersion:
    row = connection.execute(select(test_versions).where(
        test_versions.c.test_id == test_id, test_versions.c.version == version)).first()
    if row is None:
        raise ItemNotFound(f"test {test_id} has no version {version}",
                           "see the test's page for its versions")
    return _version(row)


def get_test(connection: Connection, test_id: int) -> SavedTest:
    row = connection.execute(select(saved_tests).where(
        saved_tests.c.id == test_id, saved_tests.c.deleted_at.is_(None))).first()
    if row is None:
        raise _missing(test_id)
    current = get_version(connection, test_id, int(row.current_version))
    return SavedTest(int(row.id), row.name, row.created_by, row.created_at, current,
                     int(row.current_version))


def list_tests(connection: Connection) -> list[SavedTest]:
    ids = connection.execute(select(saved_tests.c.id).where(
        saved_tests.c.deleted_at.is_(None)).order_by(saved_tests.c.name, saved_tests.c.id))
    return [get_test(connection, int(test_id)) for (test_id,) in ids]


def list_versions(connection: Connection, test_id: int) -> list[TestVersion]:
    get_test(connection, test_id)
    rows = connection.execute(select(test_versions).where(
        test_versions.c.test_id == test_id).order_by(test_versions.c.version.desc()))
    return [_version(row) for row in rows]


def _add_version(connection: Connection, test_id: int, version: int, actor: str,
                 locustfile: StoredLocustfile, settings: dict[str, Any]) -> None:
    connection.execute(insert(test_versions).values(
        test_id=test_id, version=version, created_by=actor, created_at=db_now(connection),
        locustfile_name=locustfile.name, locustfile_source=locustfile.source,
        locustfile_sha256=locustfile.sha256, locustfile_path=locustfile.path,
        settings=settings))


def create_test(engine: Engine, name: str, actor: str, locustfile: StoredLocustfile,
                settings: dict[str, Any]) -> SavedTest:
    with write_connection(engine) as connection:
        test_id = items.add(connection, saved_tests, name=name, created_by=actor,
                            created_at=db_now(connection), current_version=1, deleted_at=None)
        _add_version(connection, test_id, 1, actor, locustfile, settings)
        return get_test(connection, test_id)


def edit_test(engine: Engine, test_id: int, name: str, actor: str,
              locustfile: StoredLocustfile | None, settings: dict[str, Any]) -> SavedTest:
    """A new version (the current locustfile kept when ``locustfile`` is None)."""
    with write_connection(engine) as connection:
        before = get_test(connection, test_id)
        version = before.versions + 1
        _add_version(connection, test_id, version, actor,
                     locustfile or before.current.locustfile, settings)
        connection.execute(update(saved_tests).where(saved_tests.c.id == test_id)
                           .values(name=name, current_version=version))
        return get_test(connection, test_id)


def delete_test(engine: Engine, test_id: int) -> SavedTest:
    with write_connection(engine) as connection:
        before = get_test(connection, test_id)
        connection.execute(update(saved_tests).where(saved_tests.c.id == test_id)
                           .values(deleted_at=db_now(connection)))
        return before
