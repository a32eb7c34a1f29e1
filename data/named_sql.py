"""The one reader of the named SQL files in data/sql/: a query by its file name, or a script run
statement by statement (schema.sql). Files are read once per process."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"
_NAME = re.compile(r"^[a-z][a-z_]*$")  # a file name without .sql: never a path


@lru_cache(maxsize=None)
def load(name: str) -> str:
    """The text of data/sql/<name>.sql."""
    if not _NAME.match(name):
        raise ValueError(f"not a named query: {name!r}")
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def statements(script: str) -> list[str]:
    """The statements of a script whose statements end with ';' at the end of a line; comment lines dropped."""
    body = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";[ \t]*$", body, flags=re.MULTILINE) if s.strip()]


def run_script(cursor, name: str, params: list | None = None) -> None:
    """Run every statement of data/sql/<name>.sql in order (the schema's CREATE ... IF NOT EXISTS), each
    with the same bound `params`."""
    for statement in statements(load(name)):
        cursor.execute(statement, params)
