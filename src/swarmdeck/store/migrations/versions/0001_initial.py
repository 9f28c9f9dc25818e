"""The initial schema: runs, intervals, rollups, user counts.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _measurements() -> list[sa.Column[object]]:
    return [
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("histogram", sa.LargeBinary(), nullable=False),
        sa.Column("min_us", sa.BigInteger(), nullable=False),
        sa.Column("max_us", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("locustfile", sa.Text(), nullable=False),
        sa.Column("locustfile_sha256", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("spawn_rate", sa.Float(), nullable=True),
        sa.Column("run_time_s", sa.Float(), nullable=True),
        sa.Column("shape", sa.Text(), nullable=True),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("swarmdeck_version", sa.String(length=64), nullable=False),
        sa.Column("locust_version", sa.String(length=64), nullable=False),
        sa.Column("python_version", sa.String(length=64), nullable=False),
        sa.Column("git_commit", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("rolled_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_interval", sa.BigInteger(), nullable=True),
        sa.Column("last_interval", sa.BigInteger(), nullable=True),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("p95_ms", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_status"), "runs", ["status"], unique=False)

    op.create_table(
        "intervals",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        *_measurements(),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE",
                                name=op.f("fk_intervals_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "start", "method", "name", "region",
                                name=op.f("pk_intervals")),
    )

    op.create_table(
        "rollups",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        *_measurements(),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE",
                                name=op.f("fk_rollups_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "level", "start", "method", "name", "region",
                                name=op.f("pk_rollups")),
    )

    op.create_table(
        "user_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE",
                                name=op.f("fk_user_counts_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_counts")),
    )
    op.create_index("ix_user_counts_run_id_at", "user_counts", ["run_id", "at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_user_counts_run_id_at", table_name="user_counts")
    op.drop_table("user_counts")
    op.drop_table("rollups")
    op.drop_table("intervals")
    op.drop_index(op.f("ix_runs_status"), table_name="runs")
    op.drop_table("runs")
