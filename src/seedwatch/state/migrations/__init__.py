"""Alembic migrations of the state schema (run by ``Store.migrate``)."""
