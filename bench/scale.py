"""`make bench-scale` (`python -m bench.scale`): the deployment of `deploy/` (N replicas on PostgreSQL
behind HAProxy, bench/cluster.py) measured at each replica count of BENCH_REPLICAS (default 1,2,3):
callback throughput with 8 concurrent clients through the proxy and the CPU each request costs the
replicas, event-to-screen across replicas, ingest throughput, and at the largest count the failover
figures (a replica killed under load). Writes bench/scale.md, which every bench report carries.

Environment: BENCH_REPLICAS, BENCH_SCALE_LEADS (demo leads, default 20000), BENCH_SCALE_N (callbacks
per measurement, default 400), BENCH_PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from bench.client import sign_in
from bench.cluster import Cluster
from bench.cpu_use import CpuPhase, CpuUse
from bench.cluster_probes import CockpitStream, EventLoad, event_to_stream_ms, p95, post_batch, registration
from bench.report import SCALE_END, SCALE_START, splice_block
from bench.scenarios import callback_step, page_body

HERE = Path(__file__).resolve().parent
CLIENTS = 8
INGEST_BATCH = 100


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def callback_throughput(cluster: Cluster, n: int) -> tuple[float, float, CpuUse]:
    """(requests/s, replica CPU ms per request, where the machine's CPU went) of the manager's cockpit
    page, CLIENTS at once."""
    steps = [callback_step(sign_in(cluster.url, "manager"), cluster.url, page_body("/"), "cockpit page")
             for _ in range(CLIENTS)]
    for step in steps:
        step()
    with CpuPhase([r.process.pid for r in cluster.members if r.alive()]) as phase:
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(lambda step: [step() for _ in range(n // CLIENTS)], steps))
    done = n // CLIENTS * CLIENTS
    return done / phase.seconds, phase.use.replicas * phase.seconds * 1000 / done, phase.use


def ingest_throughput(cluster: Cluster, batches: int = 40) -> float:
    """Events/s accepted through the proxy: batches of INGEST_BATCH, 4 producers at once."""
    domain = f"{uuid.uuid4().hex[:8]}.ingest.example"
    bodies = [[registration(b * INGEST_BATCH + i, domain) for i in range(INGEST_BATCH)] for b in range(batches)]
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda body: post_batch(cluster.url, body), bodies))
    took = time.perf_counter() - start
    if any(s != 202 for s in statuses):
        raise SystemExit(f"ingest: answers {sorted(set(statuses))}")
    return batches * INGEST_BATCH / took


def settle(cluster: Cluster, timeout: float = 300) -> None:
    """Wait until the relay delivered what the ingest run logged (its leads made), then a moment for
    the projections: event-to-screen is measured on a settled cluster, as the scale-out test does;
    the failover run measures it under load."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        while conn.execute("SELECT count(*) FROM events WHERE delivered_at IS NULL").fetchone()[0]:
            if time.monotonic() > deadline:
                raise SystemExit("the relay did not catch up with the ingest run")
            time.sleep(0.5)
    time.sleep(3)


def cross_replica_ms(cluster: Cluster, lead_id: int) -> list[float]:
    poster, viewer = cluster.members[0], cluster.members[1]
    stream = CockpitStream(sign_in(viewer.url, "admin"), viewer.url).start()
    try:
        return event_to_stream_ms(poster.url, stream, lead_id, 20)
    finally:
        stream.close()


def failover(cluster: Cluster) -> dict:
    """A replica (the scheduler's leader) killed with 6 streams open and events arriving."""
    streams = [CockpitStream(sign_in(cluster.url, "manager"), cluster.url).start() for _ in range(6)]
    domain = f"{uuid.uuid4().hex[:8]}.failover.example"
    load = EventLoad(cluster.url, domain).start()
    time.sleep(4)
    victim = cluster.leader()
    killed_at = time.time()
    cluster.kill(victim)
    deadline = time.monotonic() + 60
    while cluster.took_lead_after(killed_at) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    handover = (cluster.took_lead_after(killed_at) or float("nan")) - killed_at
    time.sleep(6)
    accepted = load.stop()
    cut = [s for s in streams if s.reconnects]
    back = [s.reconnects[0] - s.drops[0] for s in cut]
    for stream in streams:
        stream.close()
    stored, leads = _stored(cluster, accepted, domain)
    return {"handover_s": handover, "stored": stored, "leads": leads, "streams_cut": len(cut),
            "reconnect_s": max(back) if back else 0.0, "accepted": len(accepted), "resent": load.resent}


def _stored(cluster: Cluster, accepted: list[str], domain: str) -> tuple[int, int]:
    """(events stored with the accepted ids, leads they made), once the relay applied them (<= 60 s)."""
    with psycopg.connect(cluster.database_url) as conn:
        deadline = time.monotonic() + 60
        while True:
            stored = conn.execute("SELECT count(*) FROM events WHERE id = ANY(%s)", (accepted,)).fetchone()[0]
            leads = conn.execute("SELECT count(*) FROM leads WHERE email LIKE %s", (f"%@{domain}",)).fetchone()[0]
            if leads >= len(accepted) or time.monotonic() > deadline:
                return stored, leads
            time.sleep(0.5)


def measure_at(replicas: int, admin_url: str, leads: int, n: int, last: bool) -> dict:
    name = f"bench_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    cluster = Cluster(f"{admin_url.rsplit('/', 1)[0]}/{name}", Path(tempfile.mkdtemp(prefix="bench-scale-")), replicas,
                      settings={"COCKPIT_DEMO": "1", "COCKPIT_DEMO_LEADS": leads, "DEMO_SIMULATOR": "0",
                                "SCHEDULER_ENABLED": "1", "FOLLOWUP_INTERVAL_S": 5})
    try:
        start = time.perf_counter()
        cluster.start(timeout=1800)
        row = {"replicas": replicas, "start_s": time.perf_counter() - start}
        say(f"{replicas} replica(s) serving after {row['start_s']:.1f} s; callbacks ...")
        row["callbacks_per_s"], row["cpu_ms_per_request"], row["cpu"] = callback_throughput(cluster, n)
        say("  ingest ...")
        row["ingest_per_s"] = ingest_throughput(cluster)
        if replicas >= 2:
            say("  event to screen across replicas ...")
            settle(cluster)
            with psycopg.connect(cluster.database_url) as conn:
                lead_id = conn.execute("SELECT min(id) FROM leads").fetchone()[0]
            samples = sorted(cross_replica_ms(cluster, lead_id))
            row["cross_p50_ms"], row["cross_p95_ms"] = samples[len(samples) // 2], p95(samples)
        if last and replicas >= 2:
            say("  failover ...")
            row["failover"] = failover(cluster)
        say(f"  {row}")
        return row
    finally:
        cluster.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def render(rows: list[dict], leads: int, n: int) -> str:
    from bench.machine import machine_info
    machine = machine_info()
    lines = ["## Scale-out (deploy/: replicas on PostgreSQL behind HAProxy)", "",
             f"`make bench-scale`: {leads:,} demo leads, {n} cockpit-page callbacks per count from {CLIENTS} "
             f"concurrent clients through the proxy; {machine['nproc']} CPUs ({machine['cpu']}), load "
             f"{machine['load']:.1f} at the end, {machine['date']}.", "",
             "| replicas | serving after start | callbacks/s (8 clients) | replica CPU per callback | cores busy meanwhile: "
             "all (replicas, PostgreSQL, bench clients) | ingest events/s | event to screen across replicas p50 / p95 |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        cross = f"{r['cross_p50_ms']:.0f} / {r['cross_p95_ms']:.0f} ms" if "cross_p95_ms" in r else "-"
        lines.append(f"| {r['replicas']} | {r['start_s']:.1f} s | {r['callbacks_per_s']:.1f} | "
                     f"{r['cpu_ms_per_request']:.1f} ms | {_cores(r['cpu'])} | {r['ingest_per_s']:.0f} | {cross} |")
    lines += ["", _failover_lines(rows), "", _curve(rows), ""]
    return "\n".join(lines)


def _failover_lines(rows: list[dict]) -> str:
    f = next((r["failover"] for r in rows if "failover" in r), None)
    if f is None:
        return "No failover measured (it needs two replicas or more)."
    return (f"Failover at {rows[-1]['replicas']} replicas, the scheduler's leader killed with SIGKILL under a load of "
            f"events and 6 open streams: a new leader after {f['handover_s']:.1f} s; {f['streams_cut']} streams cut, "
            f"all back through the proxy within {f['reconnect_s']:.1f} s (their retry is 2 s); {f['accepted']} events "
            f"accepted during the run ({f['resent']} sent again after an unanswered try): {f['stored']} stored, "
            f"{f['leads']} leads made from them (tests/integration/test_scale_out.py asserts both equal).")


def _cores(use: CpuUse) -> str:
    return f"{use.machine:.2f} ({use.replicas:.2f}, {use.postgres:.2f}, {use.client:.2f})"


def _curve(rows: list[dict]) -> str:
    cpu = min(r["cpu_ms_per_request"] for r in rows)
    cores, first = os.cpu_count() or 1, rows[0]["cpu"]
    return (f"With {rows[0]['replicas']} replica(s) the machine was {first.machine:.2f} of its {cores} cores busy "
            f"(the bench's own clients {first.client:.2f}, PostgreSQL {first.postgres:.2f}): the curve flattens as "
            f"soon as the cores are, and more replicas then only take CPU from each other. Each callback costs the "
            f"replicas about {cpu:.1f} ms of CPU, so a machine with C cores for the replicas serves about "
            f"C x {1000 / cpu:.0f} callbacks/s (PostgreSQL, the proxy and the clients on their own cores), "
            f"e.g. {8 * 1000 / cpu:.0f}/s on 8.")


def splice(results: str, section: str, profiles: str) -> str:
    """results.md with its scale-out section replaced by `section`, or added before the profile notes."""
    return splice_block(results, section, SCALE_START, SCALE_END, profiles)


def main() -> int:
    counts = [int(c) for c in os.environ.get("BENCH_REPLICAS", "1,2,3").split(",") if c.strip()]
    leads, n = int(os.environ.get("BENCH_SCALE_LEADS", "20000")), int(os.environ.get("BENCH_SCALE_N", "400"))
    admin_url = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    rows = [measure_at(c, admin_url, leads, n, last=c == counts[-1]) for c in counts]
    section = render(rows, leads, n)
    (HERE / "scale.md").write_text(section + "\n", encoding="utf-8")
    results, profiles = HERE / "results.md", HERE / "profiles.md"
    if results.exists():
        notes = profiles.read_text(encoding="utf-8") if profiles.exists() else ""
        results.write_text(splice(results.read_text(encoding="utf-8"), section, notes), encoding="utf-8")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
