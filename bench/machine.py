"""What the bench ran on: CPUs, CPU model, Python, load, date (for the header of results.md)."""
from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from pathlib import Path


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """nproc (the CPUs this process may use), CPU model, Python version, 1-minute load average, UTC date."""
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        nproc = os.cpu_count() or 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"nproc": nproc, "cpu": cpu_model(), "python": platform.python_version(), "load": load,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
