"""Small SQL helpers that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from shopfront.extensions import db


def upsert(table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str],
           update: dict[str, Any]) -> Insert:
    """INSERT ... ON CONFLICT (key) DO UPDATE, in the dialect of the bound database.

    ``update`` maps column names to values or to expressions built from ``excluded``
    (pass a callable taking the ``excluded`` namespace).
    """
    dialect = db.engine.dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise RuntimeError(f"shopfront supports SQLite and PostgreSQL, not {dialect}")
    stmt = stmt.values(list(rows))
    values = {name: (value(stmt.excluded) if callable(value) else value)
              for name, value in update.items()}
    return stmt.on_conflict_do_update(index_elements=list(key), set_=values)
