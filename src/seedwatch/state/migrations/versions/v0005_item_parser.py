"""Items remember the parser that read them (``corpus stats`` counts by parser).

Existing rows take the parser from their recorded item JSON when they have
one; rows indexed from corpus files before this version stay unknown (null).
Also documents the ``removed`` status: an item taken down with ``seedwatch
corpus remove`` keeps its row, so every de-duplication layer still matches
it and it never comes back from any source.

Revision ID: 0005
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("parser", sa.String(100)))
    conn = op.get_bind()
    items = sa.table(
        "items", sa.column("id"), sa.column("item_json"), sa.column("parser", sa.String)
    )
    rows = conn.execute(
        sa.select(items.c.id, items.c.item_json).where(items.c.item_json.isnot(None))
    )
    for row_id, item_json in rows.all():
        parser = json.loads(item_json).get("parser")
        conn.execute(sa.update(items).where(items.c.id == row_id).values(parser=parser))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("parser")
