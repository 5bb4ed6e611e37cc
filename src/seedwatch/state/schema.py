"""Table definitions (SQLAlchemy Core), shared by the store and the migrations.

Only portable types: the same schema runs on SQLite and PostgreSQL.
Datetimes are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (SQLite keeps no offsets)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the state")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        assert isinstance(moment, datetime)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = MetaData()

# What the daemon learns about each configured source (the config stays the
# source of truth for what to watch; this holds cursors, errors, parking).
sources = Table(
    "sources",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("url", Text),  # the URL in use, after permanent redirects
    Column("etag", Text),
    Column("last_modified", Text),
    Column("mark", Text),
    Column("last_poll", UTCDateTime),
    Column("last_success", UTCDateTime),
    Column("next_poll", UTCDateTime),
    Column("consecutive_errors", Integer, nullable=False, default=0),
    Column("errors_total", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_error_category", String(40)),
    Column("parked", Boolean, nullable=False, default=False),
    Column("items_accepted", Integer, nullable=False, default=0),
    # Scheduling (daemon.schedule; migration 0004): see state.source_state.
    Column("parked_at", UTCDateTime),
    Column("parked_reason", Text),
    Column("url_from", Text),  # the config's URL that ``url`` replaced
    Column("redirect_target", Text),
    Column("redirect_count", Integer, nullable=False, default=0),
    Column("error_counts", Text),  # JSON: {error class: count}
    Column("entries", Text),  # JSON: {entry hash: ISO date}, the last week's
    Column("hints", Text),  # JSON: the feed's ttl, update period, skip hours/days
    Column("interval_seconds", Float),
    Column("next_poll_reason", Text),
    Column("last_outcome", String(20)),
    Column("last_duration", Float),
)

# One row per item the corpus holds (accepted by us, or found in the corpus
# folder by the indexer). ``rendered`` keeps a recorded item's file text until
# the file is written: the crash-safety rule's "record, then write".
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False),
    Column("source_id", String(200)),
    Column("guid", Text),
    Column("canonical_url", Text),
    Column("fingerprint", String(32), nullable=False),
    Column("words", Integer, nullable=False),
    Column("title", Text),
    Column("seq", Integer, nullable=False),
    Column("name", Text, nullable=False),
    # pending | written | indexed | removed (taken down: the row stays as a tombstone)
    Column("status", String(16), nullable=False),
    Column("parser", String(100)),
    Column("rendered", Text),
    Column("item_json", Text),
    Column("revision_of", Text),
    Column("fetched", UTCDateTime),
    Column("created", UTCDateTime, nullable=False),
    Index("ix_items_key", "key"),
    Index("ix_items_source_guid", "source_id", "guid"),
    Index("ix_items_canonical_url", "canonical_url"),
    Index("ix_items_fingerprint", "fingerprint"),
    Index("ix_items_seq", "seq"),
    Index("ix_items_status", "status"),
)

# Corpus files already indexed, so a second `corpus index` does no work.
corpus_files = Table(
    "corpus_files",
    metadata,
    Column("name", Text, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("items", Integer, nullable=False),
    Column("indexed", UTCDateTime, nullable=False),
)

# Named counters; "corpus_seq" is the next free corpus sequence number.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

# -- de-duplication (state/dedup) ---------------------------------------------
# Rows hang off items.id and go with it. The two big tables are clustered by
# (item_id, ...) and looked up through one secondary index; on SQLite they are
# WITHOUT ROWID tables (the option is ignored elsewhere), which stores each
# row once instead of twice.

# What the layers keep per recorded item: the total characters of its
# fingerprinted paragraphs, its MinHash signature, and its title key.
dedup_items = Table(
    "dedup_items",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_chars", Integer, nullable=False),
    Column("signature", LargeBinary),
    Column("site", String(255)),
    Column("title_key", String(32)),
    Column("published", UTCDateTime),
    Index("ix_dedup_items_title", "title_key"),
)

# Containment: one row per distinct paragraph (whole) or line of a
# multi-line paragraph; fp is the first 64 bits of its fingerprint.
dedup_units = Table(
    "dedup_units",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("fp", BigInteger, nullable=False),
    Column("para", Integer, nullable=False),
    Column("chars", Integer, nullable=False),
    Column("whole", Boolean, nullable=False),
    PrimaryKeyConstraint("item_id", "fp"),
    Index("ix_dedup_units_fp", "fp"),
    sqlite_with_rowid=False,
)

# Near duplicates: the LSH index, one row per band of each item's MinHash.
dedup_bands = Table(
    "dedup_bands",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("band", SmallInteger, nullable=False),
    Column("bucket", BigInteger, nullable=False),
    PrimaryKeyConstraint("item_id", "band"),
    Index("ix_dedup_bands_bucket", "bucket"),
    sqlite_with_rowid=False,
)

# The MinHash/LSH shape the state was built with (num_perm, bands, rows,
# shingle): fixed at creation, since stored signatures depend on it.
dedup_params = Table(
    "dedup_params",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)
