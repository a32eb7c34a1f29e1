"""The folder of analytics snapshots the replicas of one deployment share (data/duckdb_snapshot.py writes
and loads them): its names, manifests, checksums and clean-up. Files only; no database.

A snapshot is a folder `snapshot-<position>`: one Parquet file per table of TABLES and `manifest.json`.
It is written into a `.partial-*` folder, the manifest last, and renamed when complete, so a
`snapshot-*` folder without a readable manifest was damaged, never half-written. The manifest holds the
format, the fingerprint of schema.sql, the position, the anchor (the OLTP event at the position), and
each file's rows, size and SHA-256. File names are fixed here, never read from a manifest.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from data import named_sql
from data.duckdb_feed import LoggedEvent

log = logging.getLogger(__name__)
FORMAT = 1
TABLES = ("events", "daily_counts")  # the projection's tables; its position travels in the manifest
MANIFEST = "manifest.json"
SNAPSHOT_PREFIX, PARTIAL_PREFIX = "snapshot-", ".partial-"
KEEP = 2  # the newest usable snapshots kept: one to load while the next is written
ABANDONED_AFTER_S = 3600.0  # a partial folder this old belongs to a writer that died


class SnapshotRefused(Exception):
    """This snapshot may not seed a replica; the message says why."""


@dataclass(frozen=True)
class Anchor:
    """The OLTP event at a snapshot's position: which event log the snapshot was made from."""
    seq: int
    source: str
    event_id: str
    recorded_at: str  # ISO 8601, UTC

    @classmethod
    def of(cls, event: LoggedEvent) -> "Anchor":
        at = event.recorded_at if event.recorded_at.tzinfo else event.recorded_at.replace(tzinfo=timezone.utc)
        return cls(event.seq, event.source, event.event_id, at.astimezone(timezone.utc).isoformat())


@dataclass(frozen=True)
class TableFile:
    rows: int
    size: int
    sha256: str


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    position: int
    written_at: datetime
    anchor: Anchor
    files: dict[str, TableFile]

    def file(self, table: str) -> Path:
        return self.folder / f"{table}.parquet"

    def manifest(self) -> dict:
        return {"format": FORMAT, "position": self.position, "written_at": self.written_at.isoformat(),
                "schema": schema_fingerprint(), "duckdb": duckdb.__version__, "anchor": asdict(self.anchor),
                "tables": {t: {"file": self.file(t).name, **asdict(f)} for t, f in self.files.items()}}


def schema_fingerprint() -> str:
    """Changes with schema.sql: a snapshot written for another schema is not loaded."""
    return hashlib.sha256(named_sql.load("schema").encode("utf-8")).hexdigest()[:16]


def usable_snapshots(folder: Path) -> list[Snapshot]:
    """The complete snapshots of this format and schema in `folder`, newest first; others are logged."""
    found = []
    for path in _snapshot_folders(folder):
        try:
            found.append(_read_manifest(path))
        except SnapshotRefused as exc:
            log.warning("analytics snapshot %s skipped: %s", path, exc)
    return found


def seal(partial: Path, folder: Path, position: int, anchor: Anchor, rows: dict[str, int],
         now: datetime) -> Snapshot | None:
    """Checksums of the files in `partial`, the manifest written last, then the rename that makes the
    snapshot visible. None when another process wrote this position first (theirs holds the same rows)."""
    files = {t: TableFile(rows[t], *_size_and_digest(partial / f"{t}.parquet")) for t in TABLES}
    snapshot = Snapshot(folder / f"{SNAPSHOT_PREFIX}{position:020d}", position, now, anchor, files)
    (partial / MANIFEST).write_text(json.dumps(snapshot.manifest(), indent=2), encoding="utf-8")
    _fsync(partial / MANIFEST)
    try:
        os.rename(partial, snapshot.folder)
    except OSError:
        return None
    _fsync(folder)  # the rename itself survives a crash
    return snapshot


def check_files(snapshot: Snapshot) -> None:
    """Raise SnapshotRefused unless each file has the size and SHA-256 its manifest says."""
    for table, expected in snapshot.files.items():
        path = snapshot.file(table)
        try:
            size, digest = _size_and_digest(path)
        except OSError as exc:
            raise SnapshotRefused(f"{path.name}: {exc.strerror or exc}") from None
        if (size, digest) != (expected.size, expected.sha256):
            raise SnapshotRefused(f"{path.name} is not the file its manifest describes (size or checksum)")


def prune(folder: Path) -> None:
    """Keep the KEEP newest usable snapshots and anything newer; remove older ones, and partial folders
    whose writer died. A snapshot being loaded meanwhile fails its load and the next one is tried."""
    usable = usable_snapshots(folder)
    oldest_kept = usable[KEEP - 1].position if len(usable) >= KEEP else 0
    for path in _snapshot_folders(folder):
        if _position_of(path) < oldest_kept:
            shutil.rmtree(path, ignore_errors=True)
    for path in folder.glob(f"{PARTIAL_PREFIX}*"):
        if time.time() - path.stat().st_mtime > ABANDONED_AFTER_S:
            shutil.rmtree(path, ignore_errors=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _size_and_digest(path: Path) -> tuple[int, str]:
    with open(path, "rb") as source:
        digest = hashlib.file_digest(source, "sha256")
        os.fsync(source.fileno())  # on disk before the manifest says it is complete
    return path.stat().st_size, digest.hexdigest()


def _read_manifest(path: Path) -> Snapshot:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotRefused("no manifest: not written completely") from None
    except (OSError, ValueError) as exc:
        raise SnapshotRefused(f"unreadable manifest: {exc}") from None
    try:
        if (manifest["format"], manifest["schema"]) != (FORMAT, schema_fingerprint()):
            raise SnapshotRefused(f"format {manifest['format']} for schema {manifest['schema']}: not this one")
        files = {t: TableFile(**{k: manifest["tables"][t][k] for k in ("rows", "size", "sha256")}) for t in TABLES}
        snapshot = Snapshot(path, int(manifest["position"]), datetime.fromisoformat(manifest["written_at"]),
                            Anchor(**manifest["anchor"]), files)
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotRefused(f"incomplete manifest ({type(exc).__name__}: {exc})") from None
    if snapshot.position != _position_of(path) or snapshot.written_at.tzinfo is None:
        raise SnapshotRefused("the manifest does not match its folder")
    return snapshot


def _snapshot_folders(folder: Path) -> list[Path]:
    """Every `snapshot-<position>` folder, highest position first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(SNAPSHOT_PREFIX) and p.name[len(SNAPSHOT_PREFIX):].isdigit()]
    return sorted(found, key=_position_of, reverse=True)


def _position_of(path: Path) -> int:
    return int(path.name[len(SNAPSHOT_PREFIX):])
