"""A deployment as `deploy/` runs it, on this machine: N replicas (`deploy/replica`) on one PostgreSQL
database behind HAProxy (`deploy/proxy` with `deploy/haproxy.cfg`). The scale-out tests and the
scale-out benchmark start exactly this, not a look-alike.

Every replica gets the deployment's shared settings and its own PORT; all of them start at the same
moment, as an orchestrator starts replicas. Each replica's output goes to `replica-N.log` in the
working folder, the proxy's to `proxy.log`.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
API_TOKEN = "cluster-api-token-0123456789"
METRICS_TOKEN = "cluster-metrics-token-0123456789"
LEADER_LINE = "this process now leads the scheduler"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Replica:
    number: int
    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Cluster:
    """`Cluster(database_url, folder, replicas=3).start()`; `stop()` ends every process."""
    database_url: str
    folder: Path
    replicas: int = 3
    settings: dict = field(default_factory=dict)  # further shared settings (the deployment's environment)
    members: list[Replica] = field(default_factory=list)
    proxy: subprocess.Popen | None = None
    proxy_port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def shared_environment(self) -> dict:
        """What must be the same on every replica: the database, the secrets, where mail goes."""
        return {"DATABASE_URL": self.database_url, "SECRET_KEY": "cluster-secret-key-0123456789abcdef",
                "COCKPIT_API_TOKEN": API_TOKEN, "METRICS_TOKEN": METRICS_TOKEN, "WEB_TRUSTED_PROXIES": "1",
                "COCKPIT_VAR_DIR": str(self.folder), "ANALYTICS_PATH": str(self.folder / "analytics.duckdb"),
                "PYTHONUNBUFFERED": "1", **{k: str(v) for k, v in self.settings.items()}}

    def start(self, timeout: float = 240) -> "Cluster":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.members = [Replica(n, free_port(), self.folder / f"replica-{n}.log") for n in range(1, self.replicas + 1)]
        for replica in self.members:  # all at once, as an orchestrator starts them
            self._launch(replica)
        try:
            self.proxy_port = free_port()
            self._start_proxy()
            deadline = time.monotonic() + timeout
            for replica in self.members:
                wait_healthy(replica.url, deadline, replica)
            wait_in_rotation(self.url, {f"replica{r.number}" for r in self.members}, deadline)
        except BaseException:
            self.stop()  # a cluster that did not come up leaves no replica behind
            raise
        return self

    def _launch(self, replica: Replica) -> None:
        env = {**os.environ, **self.shared_environment(), "PORT": str(replica.port)}
        with replica.log_path.open("ab") as out:
            replica.process = subprocess.Popen([str(ROOT / "deploy" / "replica")], cwd=ROOT, env=env,
                                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def restart(self, replica: Replica, timeout: float = 240) -> None:
        self._launch(replica)
        wait_healthy(replica.url, time.monotonic() + timeout, replica)

    def _start_proxy(self) -> None:
        env = {**os.environ, "PROXY_BIND": f"127.0.0.1:{self.proxy_port}",
               **{f"REPLICA_{r.number}": f"127.0.0.1:{r.port}" for r in self.members}}
        with (self.folder / "proxy.log").open("ab") as out:
            self.proxy = subprocess.Popen([str(ROOT / "deploy" / "proxy")], cwd=ROOT, env=env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def leader(self, timeout: float = 30) -> Replica:
        """The replica leading the scheduler now: the live one that logged taking the lead last."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leading = [r for r in self.members if r.alive() and LEADER_LINE in r.log()]
            if leading:
                return max(leading, key=lambda r: _last_line_time(r.log(), LEADER_LINE))
            time.sleep(0.2)
        raise AssertionError("no replica leads the scheduler")

    def took_lead_after(self, since: float) -> float | None:
        """When (time.time()) a live replica first logged taking the lead after `since`; None if none has."""
        stamps = [datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                  for r in self.members if r.alive()
                  for m in re.finditer(r"^(\S+ \S+) .*" + re.escape(LEADER_LINE), r.log(), re.MULTILINE)]
        later = [t for t in stamps if t >= since]
        return min(later) if later else None

    def kill(self, replica: Replica) -> None:
        """SIGKILL: the process ends where it stands, as a crashed host's would."""
        os.killpg(replica.process.pid, signal.SIGKILL)
        replica.process.wait(timeout=10)

    def stop(self) -> None:
        for process in [self.proxy, *(r.process for r in self.members)]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [self.proxy, *(r.process for r in self.members)]:
            if process is None:
                continue
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_healthy(url: str, deadline: float, replica: Replica | None = None) -> None:
    while time.monotonic() < deadline:
        if replica is not None and not replica.alive():
            raise AssertionError(f"replica {replica.number} exited: {replica.log()[-3000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become healthy" + (f": {replica.log()[-3000:]}" if replica else ""))


def wait_in_rotation(url: str, names: set[str], deadline: float) -> None:
    """Until the proxy has sent a request to each replica: a replica whose first checks failed (it was
    still starting) is taken back after two good ones (haproxy.cfg `rise 2`), a moment after it serves."""
    served: set[str] = set()
    while time.monotonic() < deadline:
        try:
            served.add(requests.get(f"{url}/healthz", timeout=2).headers.get("X-Served-By", ""))
        except requests.RequestException:
            pass
        if names <= served:
            return
        time.sleep(0.1)
    raise AssertionError(f"the proxy at {url} sent requests only to {sorted(served - {''})} of {sorted(names)}")


def _last_line_time(log: str, needle: str) -> str:
    """The timestamp of the last log line holding `needle` (logging's default format sorts as text)."""
    stamps = [m.group(1) for m in re.finditer(r"^(\S+ \S+) .*" + re.escape(needle), log, re.MULTILINE)]
    return stamps[-1] if stamps else ""
