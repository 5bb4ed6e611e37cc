"""Corpus sequence numbers for several nodes; one file name per accepted item.

On PostgreSQL the numbers come from the sequence ``corpus_seq`` (never
reused, not gapless), started where the ``corpus_seq`` counter stood; on
SQLite the counter row stays (one writer at a time). On both, a unique
index over the sequence numbers of accepted items (``pending`` and
``written``; indexed files may hold several items under one number) makes
the database refuse a second file of the same name.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ACCEPTED = "status IN ('pending', 'written')"


def upgrade() -> None:
    op.create_index(
        "ux_items_seq_accepted",
        "items",
        ["seq"],
        unique=True,
        sqlite_where=sa.text(_ACCEPTED),
        postgresql_where=sa.text(_ACCEPTED),
    )
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE corpus_seq AS bigint MINVALUE 0 START 0")
    start = conn.execute(sa.text("SELECT value FROM counters WHERE name = 'corpus_seq'")).scalar()
    if start:
        conn.execute(sa.text("SELECT setval('corpus_seq', :v, false)"), {"v": int(start)})


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        next_value = conn.execute(
            sa.text(
                "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM corpus_seq"
            )
        ).scalar_one()
        conn.execute(sa.text("DELETE FROM counters WHERE name = 'corpus_seq'"))
        conn.execute(
            sa.text("INSERT INTO counters (name, value) VALUES ('corpus_seq', :v)"),
            {"v": int(next_value)},
        )
        op.execute("DROP SEQUENCE corpus_seq")
    op.drop_index("ux_items_seq_accepted", "items")
