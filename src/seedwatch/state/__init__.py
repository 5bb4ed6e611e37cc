"""The de-duplication state: what the corpus holds and what the daemon has learnt.

``Store(url)`` is the state at a SQLAlchemy URL (SQLite by default;
PostgreSQL for several nodes). The schema is versioned with Alembic
(``state/migrations``); ``Store.migrate()`` brings a database up to date.
"""

from seedwatch.state.store import SourceState, Store

__all__ = ["SourceState", "Store"]
