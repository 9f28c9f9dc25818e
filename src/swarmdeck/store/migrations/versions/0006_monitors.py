"""Monitor series: ``monitor_series`` (a run's series: name, source, unit) and
``monitor_points`` (one value per series and second).

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitor_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE",
                                name=op.f("fk_monitor_series_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_series")),
        sa.UniqueConstraint("run_id", "name", name=op.f("uq_monitor_series_run_id")),
    )
    op.create_table(
        "monitor_points",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["monitor_series.id"], ondelete="CASCADE",
                                name=op.f("fk_monitor_points_series_id_monitor_series")),
        sa.PrimaryKeyConstraint("series_id", "at", name=op.f("pk_monitor_points")),
    )


def downgrade() -> None:
    op.drop_table("monitor_points")
    op.drop_table("monitor_series")
