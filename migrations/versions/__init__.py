"""Alembic revisions, one linear chain (tests/test_migrations.py)."""
