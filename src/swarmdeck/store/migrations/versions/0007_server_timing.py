"""What the servers said of each request (Server-Timing): ``server_timing`` on intervals
and rollups, ``ServerTiming.encode()`` (metrics/server_timing.py).

Rows written before it keep NULL there: runs without server timing.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("intervals", "rollups")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("server_timing", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("server_timing")
