"""The keys of the batches applied to each run: a batch written twice counts once.

A run's writer gives every batch (one flush of intervals and user counts, or the run's
finish) an idempotency key and journals it before writing it; ``swarmdeck import`` replays
a journal, and a retry may repeat a write whose answer was lost. The key is stored in the
same transaction as the batch, so a repeat is recognised and skipped.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_batches",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE",
                                name=op.f("fk_applied_batches_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "key", name=op.f("pk_applied_batches")),
    )


def downgrade() -> None:
    op.drop_table("applied_batches")
