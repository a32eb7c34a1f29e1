"""Apply or revert the Alembic migrations programmatically; the app calls `upgrade` on start."""
from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from data.locks import AdvisoryLock

from data.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _run(engine: Engine, fn, revision: str) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # Several processes may start at once: one migrates, the others wait for it.
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": int(AdvisoryLock.MIGRATIONS)})
        try:
            fn(_config(connection), revision)
            connection.commit()
        finally:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": int(AdvisoryLock.MIGRATIONS)})
                connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    _run(engine, command.downgrade, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the models (a developer tool: python -m data.migrate 'msg')."""
    with engine.connect() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)


if __name__ == "__main__":
    revision(make_engine("sqlite:///var/autogen.db"), sys.argv[1])
