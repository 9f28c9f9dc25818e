"""Failed requests' latency apart: ``failed_histogram`` on intervals and rollups.

Rows written before it keep NULL there and their ``histogram`` holding every request
(``EndpointInterval.unsplit``): their numbers read as they were stored.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("intervals", "rollups")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("failed_histogram", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Fold each failed histogram back into ``histogram`` (every request, as revision 0003
    read it), then drop the column."""
    from swarmdeck.metrics.histogram import LatencyHistogram

    bind = op.get_bind()
    for name in TABLES:
        table = sa.Table(name, sa.MetaData(), autoload_with=bind)
        keys = [column.name for column in table.primary_key.columns]
        rows = bind.execute(sa.select(table).where(table.c.failed_histogram.is_not(None)))
        for row in rows.mappings().all():
            histogram = LatencyHistogram.decode(bytes(row["histogram"]))
            histogram.merge(LatencyHistogram.decode(bytes(row["failed_histogram"])))
            bind.execute(sa.update(table)
                         .where(*(table.c[key] == row[key] for key in keys))
                         .values(histogram=histogram.encode(), min_us=histogram.min_us,
                                 max_us=histogram.max_us))
        with op.batch_alter_table(name) as batch:
            batch.drop_column("failed_histogram")
