"""De-duplication index: paragraph units, MinHash signatures and LSH bands, titles.

Items recorded before this version get their index rows from the text the
state kept (``item_json``). Items indexed from corpus files kept no text:
they and their ``corpus_files`` rows are removed, so the next start indexes
those files again, this time with every layer's rows.

Revision ID: 0002
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from seedwatch.models import Item
from seedwatch.state.dedup.features import Candidate
from seedwatch.state.dedup.index import LAYER_NAMES, REJECTED, layout, record
from seedwatch.state.dedup.settings import DedupSettings
from seedwatch.state.schema import UTCDateTime, corpus_files, counters, items

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _fk() -> sa.ForeignKey:
    return sa.ForeignKey("items.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "dedup_items",
        sa.Column("item_id", sa.Integer, _fk(), primary_key=True),
        sa.Column("unit_chars", sa.Integer, nullable=False),
        sa.Column("signature", sa.LargeBinary),
        sa.Column("site", sa.String(255)),
        sa.Column("title_key", sa.String(32)),
        sa.Column("published", UTCDateTime),
    )
    op.create_index("ix_dedup_items_title", "dedup_items", ["title_key"])
    op.create_table(
        "dedup_units",
        sa.Column("item_id", sa.Integer, _fk(), nullable=False),
        sa.Column("fp", sa.BigInteger, nullable=False),
        sa.Column("para", sa.Integer, nullable=False),
        sa.Column("chars", sa.Integer, nullable=False),
        sa.Column("whole", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("item_id", "fp"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_dedup_units_fp", "dedup_units", ["fp"])
    op.create_table(
        "dedup_bands",
        sa.Column("item_id", sa.Integer, _fk(), nullable=False),
        sa.Column("band", sa.SmallInteger, nullable=False),
        sa.Column("bucket", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("item_id", "band"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_dedup_bands_bucket", "dedup_bands", ["bucket"])
    op.create_table(
        "dedup_params",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    conn = op.get_bind()
    conn.execute(
        sa.insert(counters), [{"name": REJECTED + layer, "value": 0} for layer in LAYER_NAMES]
    )
    _backfill(conn)


def _backfill(conn: sa.Connection) -> None:
    kept = sa.select(items.c.name).where(items.c.status != "indexed")
    conn.execute(sa.delete(corpus_files).where(corpus_files.c.name.not_in(kept)))
    conn.execute(sa.delete(items).where(items.c.status == "indexed"))
    rows = conn.execute(
        sa.select(items.c.id, items.c.item_json).where(items.c.item_json.is_not(None))
    ).all()
    if not rows:
        return
    settings = DedupSettings()
    shape = layout(conn, settings)
    record(
        conn,
        [
            (
                row.id,
                Candidate(
                    Item.from_json(json.loads(row.item_json)), shape, settings.paragraph_min_words
                ),
            )
            for row in rows
        ],
    )


def downgrade() -> None:
    for table in ("dedup_params", "dedup_bands", "dedup_units", "dedup_items"):
        op.drop_table(table)
    op.execute(sa.delete(counters).where(counters.c.name.like(REJECTED + "%")))
