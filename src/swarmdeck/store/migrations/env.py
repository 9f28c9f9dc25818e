"""Alembic environment for swarmdeck's results database.

swarmdeck runs it itself whenever a store is opened: ``swarmdeck.store.connect.
run_migrations`` passes an open connection in ``config.attributes["connection"]``.

To write a new revision after changing ``swarmdeck/store/models.py``, autogenerate it
against a scratch database that is at the current head, then review it::

    from alembic import command
    from alembic.config import Config
    from swarmdeck.store import Store
    from swarmdeck.store.connect import MIGRATIONS

    Store.open("sqlite:///scratch.db").close()  # at the current head
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", "sqlite:///scratch.db")
    command.revision(config, message="what changed", autogenerate=True)

tests/store/test_migrations.py fails while the newest revision and the models disagree.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from swarmdeck.store.models import Base

config = context.config


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url in the Alembic config")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            _migrate(connection)
            connection.commit()
    finally:
        engine.dispose()


run()
