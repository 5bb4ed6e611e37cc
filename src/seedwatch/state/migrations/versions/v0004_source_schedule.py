"""Source scheduling: parking, error classes, permanent moves, entry dates, feed hints.

Columns of ``sources`` that the scheduler (``daemon.schedule``) keeps; all
nullable or defaulted, so existing rows need no rewrite.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seedwatch.state.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("parked_at", UTCDateTime()),
    ("parked_reason", sa.Text()),
    ("url_from", sa.Text()),
    ("redirect_target", sa.Text()),
    ("error_counts", sa.Text()),
    ("entries", sa.Text()),
    ("hints", sa.Text()),
    ("interval_seconds", sa.Float()),
    ("next_poll_reason", sa.Text()),
    ("last_outcome", sa.String(20)),
    ("last_duration", sa.Float()),
)


def upgrade() -> None:
    for name, type_ in _COLUMNS:
        op.add_column("sources", sa.Column(name, type_))
    op.add_column(
        "sources", sa.Column("redirect_count", sa.Integer, nullable=False, server_default="0")
    )


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        for name, _ in (*_COLUMNS, ("redirect_count", None)):
            batch.drop_column(name)
