"""The open model: ``service_histogram`` on intervals and rollups (the time Locust measured,
beside ``histogram`` counted from when each iteration was due), and the ``iterations``
table (per interval and region: due, started with their start lag, dropped).

Rows written before it keep NULL in ``service_histogram``: closed-model runs, whose
``histogram`` is both.

Revision ID: 0008
Revises: 0004 (the lead re-chains it after 0005-0007 at merge)
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("intervals", "rollups")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("service_histogram", sa.LargeBinary(), nullable=True))
    op.create_table(
        "iterations",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("scheduled", sa.BigInteger(), nullable=False),
        sa.Column("started", sa.BigInteger(), nullable=False),
        sa.Column("dropped", sa.BigInteger(), nullable=False),
        sa.Column("lag", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"],
                                name=op.f("fk_iterations_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "start", "region", name=op.f("pk_iterations")),
    )


def downgrade() -> None:
    """Drop the table and the column: an open-model run then reads its latency from the
    due time only (``histogram``), as revision 0004 has nothing else."""
    op.drop_table("iterations")
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("service_histogram")
