"""One Alembic tree for the whole platform; run programmatically by ``longgov db upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from longgov.config import Settings

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(settings: Settings) -> Config:
    """Alembic configuration pointing at this package's scripts and the settings' database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database schema to ``revision``."""
    command.upgrade(alembic_config(settings), revision)


def current_heads(settings: Settings) -> tuple[str, ...]:
    """Head revisions of the script tree (one, by policy)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    return tuple(ScriptDirectory.from_config(alembic_config(settings)).get_heads())
