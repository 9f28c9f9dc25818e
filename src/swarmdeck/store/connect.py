"""Opening the results database: the URL, the engine, migrations, and errors in one line.

SQLite is the default (``sqlite:///.swarmdeck/swarmdeck.db``, relative to the working
directory; its folder is created). It runs in WAL mode so that readers (the dashboard,
``swarmdeck runs``) never block the run being written, and every write transaction starts
with ``BEGIN IMMEDIATE`` so that two writers queue up instead of failing half-way.
PostgreSQL is reached by a ``postgresql+psycopg://`` URL.

The schema is migrated with Alembic from the revisions shipped in ``migrations/`` each
time the store is opened, under a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
PostgreSQL) so that two processes opening the store at once migrate it once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    NoSuchModuleError,
    SQLAlchemyError,
)
from sqlalchemy.pool import StaticPool

from swarmdeck.errors import RunNotFound, StoreError
from swarmdeck.masking import mask_url

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///.swarmdeck/swarmdeck.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 60.0
POSTGRES_CONNECT_TIMEOUT_S = 10
# a write to a server that vanished from the network (no reset, no answer) fails after this
# long instead of TCP's ~15 minutes of retransmissions (libpq's tcp_user_timeout, in ms)
POSTGRES_TCP_USER_TIMEOUT_MS = 30_000
_MIGRATION_LOCK = 0x5357_4152_4D44  # "SWARMD": the PostgreSQL advisory lock key
_HINT_OPEN = ("check the database URL; for PostgreSQL check that the server runs and that "
              "the user, password and database are right")


def reason(exc: BaseException) -> str:
    """The first meaningful line of an error, without SQLAlchemy's wrapping."""
    inner: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        inner = exc.orig
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    text_ = lines[0] if lines else type(inner).__name__
    return " ".join(text_.split())


@contextmanager
def translate_errors(url: str, doing: str, hint: str | None = None) -> Iterator[None]:
    """Turn database failures into a one-line StoreError naming the (masked) URL.

    ``doing`` says what failed, with ``{db}`` standing for the database, e.g.
    ``"write intervals of run 3 to {db}"``.
    """
    try:
        yield
    except (StoreError, RunNotFound):
        raise
    except (SQLAlchemyError, OSError) as exc:
        where = f"the results database {mask_url(url)}"
        raise StoreError(f"cannot {doing.format(db=where)}: {reason(exc)}",
                         hint or _HINT_OPEN) from None


def local_folder(db_url: str, cwd: Path | None = None) -> Path:
    """The folder a run keeps its local files in (its script errors' log, its journal): the
    SQLite database's folder, or ``.swarmdeck/`` in the working directory for any other
    store (PostgreSQL, an in-memory SQLite)."""
    folder = (cwd or Path.cwd()) / ".swarmdeck"
    try:
        url = make_url(db_url)
    except (ArgumentError, ValueError):  # the store opened it: not expected
        return folder
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent
    return folder


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``, with SQLite's folder created; StoreError on a bad URL."""
    masked = mask_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"bad results database URL {masked}: {reason(exc)}",
                         "use sqlite:///path/to/file.db or "
                         "postgresql+psycopg://user:password@host:5432/dbname") from None
    if parsed.drivername in ("postgres", "postgresql"):  # psycopg 3 is the driver shipped
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if memory:
            kwargs["poolclass"] = StaticPool
        else:
            _make_folder(Path(str(parsed.database)).parent, masked)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S,
                                  "check_same_thread": False}
    elif backend == "postgresql":
        defaults = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
                    "tcp_user_timeout": POSTGRES_TCP_USER_TIMEOUT_MS}
        kwargs["connect_args"] = {k: v for k, v in defaults.items() if k not in parsed.query}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError, TypeError) as exc:
        raise StoreError(f"cannot use the results database URL {masked}: {reason(exc)}",
                         "swarmdeck stores runs in SQLite (sqlite:///...) or PostgreSQL "
                         "(postgresql+psycopg://...)") from None
    if backend == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        _configure_sqlite(engine, memory=memory)
        if not memory:
            _watch_sqlite_file(engine, Path(str(parsed.database)).absolute())
    return engine


def _make_folder(folder: Path, masked: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        if isinstance(exc, FileExistsError):
            detail = "a file of that name is in the way"
        raise StoreError(f"cannot create the folder {folder} for the results database "
                         f"{masked}: {detail}",
                         "point the database URL at a folder you can write to") from None


def _configure_sqlite(engine: Engine, *, memory: bool) -> None:
    """Let swarmdeck, not the sqlite3 module, decide where transactions begin."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _watch_sqlite_file(engine: Engine, path: Path) -> None:
    """Reopen a pooled connection whose database file was replaced or removed meanwhile.

    An open SQLite connection keeps writing to the file it opened, even once that file was
    moved away, deleted or replaced: a run would go on writing into a file nobody can read
    again. Checked at each checkout (one ``stat``): such a connection is dropped and a new
    one opened at the path, which fails (a folder there: "unable to open database file"),
    or finds a new, empty database ("no such table"), either way a StoreError that the run's
    writer treats as the store being away (engine/storing.py)."""

    @event.listens_for(engine, "connect")
    def _remember(_dbapi_connection: Any, record: Any) -> None:
        record.info["file"] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def _check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _file_identity(path) != record.info.get("file"):
            raise DisconnectionError(f"the database file {path} was replaced or removed")


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: committed on success, rolled back on error.

    SQLite takes the write lock at BEGIN; PostgreSQL callers lock the rows they change.
    """
    with engine.connect() as connection:
        connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


def run_migrations(engine: Engine, url: str) -> None:
    """Bring the schema to the newest revision shipped with this swarmdeck."""
    with _quiet_alembic():
        from alembic import command
        from alembic.util.exc import CommandError

        config = _alembic_config()
        try:
            with write_connection(engine) as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": _MIGRATION_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except CommandError as exc:  # e.g. a revision this swarmdeck does not know
            raise StoreError(f"cannot migrate the results database {mask_url(url)}: {exc}",
                             "it was probably written by a newer swarmdeck; upgrade "
                             "swarmdeck or point the database URL elsewhere") from None


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """No INFO lines from Alembic, even when Locust has set the root logger to INFO."""
    log = logging.getLogger("alembic")
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest schema revision shipped with this swarmdeck."""
    with _quiet_alembic():
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head()
