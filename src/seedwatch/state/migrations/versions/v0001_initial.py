"""Initial schema: sources, items, corpus_files, counters.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seedwatch.state.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("url", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("mark", sa.Text),
        sa.Column("last_poll", UTCDateTime),
        sa.Column("last_success", UTCDateTime),
        sa.Column("next_poll", UTCDateTime),
        sa.Column("consecutive_errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("errors_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_category", sa.String(40)),
        sa.Column("parked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("items_accepted", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("source_id", sa.String(200)),
        sa.Column("guid", sa.Text),
        sa.Column("canonical_url", sa.Text),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("words", sa.Integer, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rendered", sa.Text),
        sa.Column("item_json", sa.Text),
        sa.Column("revision_of", sa.Text),
        sa.Column("fetched", UTCDateTime),
        sa.Column("created", UTCDateTime, nullable=False),
    )
    op.create_index("ix_items_key", "items", ["key"])
    op.create_index("ix_items_source_guid", "items", ["source_id", "guid"])
    op.create_index("ix_items_canonical_url", "items", ["canonical_url"])
    op.create_index("ix_items_fingerprint", "items", ["fingerprint"])
    op.create_index("ix_items_seq", "items", ["seq"])
    op.create_index("ix_items_status", "items", ["status"])
    op.create_table(
        "corpus_files",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("indexed", UTCDateTime, nullable=False),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("counters", "corpus_files", "items", "sources"):
        op.drop_table(table)
