"""Where a machine's CPU went during a measured phase, from /proc: the whole machine, the replicas,
PostgreSQL and the benchmark's own client threads. On a 2-core machine the client, the database and
the replicas share the cores, and a throughput figure means little without this split."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _process_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # it ended meanwhile
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _postgres_ticks() -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += _process_ticks(int(entry.name))
            except OSError:
                continue
    return total


def _machine_ticks() -> tuple[int, int]:
    """(busy, all) ticks over every core since boot: busy = user, nice, system, irq, softirq, steal."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


@dataclass
class CpuUse:
    """Cores kept busy on average during the phase, in total and by whom."""
    machine: float = 0.0
    replicas: float = 0.0
    postgres: float = 0.0
    client: float = 0.0


class CpuPhase:
    """`with CpuPhase(replica_pids) as phase: ...`; then `phase.use` holds the split and
    `phase.seconds` how long the phase took."""

    def __init__(self, replica_pids: list[int]):
        self.pids, self.use, self.seconds = replica_pids, CpuUse(), 0.0

    def __enter__(self) -> "CpuPhase":
        self._start = (time.perf_counter(), _machine_ticks(), sum(map(_process_ticks, self.pids)), _postgres_ticks(),
                       time.process_time())
        return self

    def __exit__(self, *exc) -> None:
        took, (busy0, all0), replicas0, pg0, client0 = time.perf_counter() - self._start[0], *self._start[1:]
        self.seconds = took
        busy, all_ = _machine_ticks()
        cores = os.cpu_count() or 1
        self.use = CpuUse(machine=cores * (busy - busy0) / max(1, all_ - all0),
                          replicas=(sum(map(_process_ticks, self.pids)) - replicas0) / TICKS / took,
                          postgres=(_postgres_ticks() - pg0) / TICKS / took,
                          client=(time.process_time() - client0) / took)
