"""Alembic migrations; installed as `bot.migrations` (see pyproject.toml) so a wheel can migrate."""
