"""The DuckDB analytics store. Each process owns its file (DuckDB allows one writer process per file)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class DuckDbLimits:
    """What one replica may take: DuckDB's default is 80% of the machine's memory and every core."""

    memory_mb: int = 512
    threads: int = 2


class DuckDbWarehouse:
    def __init__(self, path: Path | str, file_folder: Path | None = None, limits: DuckDbLimits = DuckDbLimits()):
        """`file_folder`: the one folder whose files queries may read and write (the replica's
        snapshots, data/duckdb_snapshot.py); None: no files at all. Beyond `limits.memory_mb`, sorts
        and joins spill to a folder beside the file."""
        self.path = str(path)
        config = {"memory_limit": f"{limits.memory_mb}MB", "threads": limits.threads}
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = f"{self.path}.tmp"
        self._conn = duckdb.connect(self.path, config=config)
        if file_folder is not None:  # set before access is closed: DuckDB refuses it afterwards
            self._conn.execute("SET allowed_directories=$1", [[f"{Path(file_folder).resolve()}/"]])
        # Queries never read files or URLs: read_csv('/etc/passwd') and friends are refused.
        self._conn.execute("SET enable_external_access=false")
        self._conn.execute("SET lock_configuration=true")
        self._lock = threading.Lock()
        self.closed = False  # background readers and writers stop once the file is closed

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread; DuckDB connections are not safe to share across threads."""
        with self._lock:
            return self._conn.cursor()

    def ping(self) -> None:
        cur = self.cursor()
        try:
            cur.execute("SELECT 1").fetchone()
        finally:
            cur.close()

    def close(self) -> None:
        self.closed = True
        self._conn.close()
