"""`python -m bench`: seed, serve, measure over HTTP, write bench/results.json and bench/results.md.

Environment: BENCH_LEADS (demo leads to seed, default 100000), BENCH_EVENTS (events the log is topped
up to after the demo seed, default 1000000), BENCH_N (timed requests per measurement, default 200),
BENCH_PIPELINE_EVENTS and BENCH_DATABASE_URL (the event pipeline's rows, see bench/pipeline.py). A run at
10,000,000 events or more writes its rows beside the default run's (bench/large.py).
Any request that does not answer as expected stops the run with exit status 1 and writes no results.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
from pathlib import Path

from bench.analytics import analytics_rows
from bench.client import BenchError
from bench.events_topup import catch_up, event_count, top_up
from bench.followup_run import followup_rows
from bench.live_cockpit import live_cockpit_rows
from bench.machine import machine_info
from bench.pipeline import pipeline_rows
from bench.replica_start import replica_start_rows
from bench.large import LARGE_EVENTS, write as write_large_report
from bench.report import write_report
from bench.scenarios import build_scenarios, leads_throughput, measure
from bench.server import (SALES, Served, bench_settings, busiest_lead, computed_reads, count_rows, start_app,
                          stop_app)
from bench.stats import summarize, value_row

HERE = Path(__file__).resolve().parent


def env_int(name: str, default: int, low: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number") from None
    if value < low:
        raise SystemExit(f"{name}={value} is below {low}")
    return value


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_scenarios(url: str, n: int, detail_lead: int, events: int) -> list[dict]:
    rows = []
    for scenario in build_scenarios(url, detail_lead):
        say(f"  {scenario.name} ...")
        rows.append(summarize(scenario.name, measure(scenario, n), events))
        say(f"    p50 {rows[-1]['p50_ms']:.1f} ms  p95 {rows[-1]['p95_ms']:.1f} ms  p99 {rows[-1]['p99_ms']:.1f} ms")
    return rows


def bench(folder: Path, leads: int, n: int, events: int, pipeline: int) -> tuple[list[dict], list[dict], dict]:
    say(f"seeding {leads:,} demo leads and starting the app in {folder} ...")
    server, seed_s, startup_s, history_s = start_app(bench_settings(folder, leads))
    rss_after_start = peak_rss_mib()  # the demo history logged as well
    try:
        data = {"leads": count_rows(server, "leads"), "activities": count_rows(server, "activities"), "n": n}
        say(f"seeded in {seed_s:.1f} s: {data['leads']:,} leads, {data['activities']:,} activities")
        logged, topup = _top_up(server, events)
        with Served(server) as served:
            timed = run_scenarios(served.url, n, busiest_lead(server, SALES), logged)
            say("  leads table throughput, 4 clients ...")
            throughput = leads_throughput(served.url, n)
            analytics_timed, analytics_values = analytics_rows(served.url, n, logged, say, lambda: computed_reads(server))
        say("  live cockpit: callbacks, stream latency, 200 open streams ...")
        live_timed, live_values = live_cockpit_rows(server, n, logged)
        say("  a new analytics replica: snapshot, load and tail, against a replay ...")
        replica_values = replica_start_rows(server.extensions["analytics_projection"], server.extensions["cockpit"].engine,
                                            folder / "replica-start", say)
    finally:
        stop_app(server)
    values = [value_row("demo data seeding", seed_s, "s"), value_row("app start-up incl. seeding (serving)", startup_s, "s"),
              value_row("start-up until the demo history is logged too (it goes on while serving)", history_s, "s"),
              value_row("leads table callback throughput (sales, 4 clients)", throughput, "req/s"),
              value_row("peak RSS after start-up (seeding and demo history included)", rss_after_start, "MiB"),
              value_row("peak RSS of the bench process (server + client)", peak_rss_mib(), "MiB"),
              value_row("leads in the database", data["leads"], "leads"),
              value_row("activities in the database", data["activities"], "activities")]
    (folder / "followup-run").mkdir()  # the follow-up job on its own database, after the server stopped
    values += [value_row(r["name"], r["value"], r["unit"]) for r in followup_rows(folder / "followup-run", leads, say)]
    pipe_timed, pipe_values = pipeline_rows(folder / "pipeline", leads, pipeline, say)  # its own apps and databases
    values += topup + analytics_values + live_values + replica_values + pipe_values
    return timed + analytics_timed + live_timed + pipe_timed, values, data


def _top_up(server, events: int) -> tuple[int, list[dict]]:
    """The event log topped up to `events`, projected into DuckDB; (events in the log, value rows)."""
    demo = event_count(server.extensions["cockpit"].engine)
    say(f"topping the event log up from {demo:,} to {events:,} events ...")
    written, written_s = top_up(server, events)
    applied, applied_s = catch_up(server)
    logged = event_count(server.extensions["cockpit"].engine)
    say(f"  wrote {written:,} in {written_s:.1f} s; the projection applied {applied:,} in {applied_s:.1f} s")
    return logged, [value_row("events in the log after the demo seed", demo, "events"),
                    value_row("event log top-up (bulk inserts)", written / max(written_s, 1e-9), "events/s"),
                    value_row("analytics projection catch-up after the top-up", applied / max(applied_s, 1e-9), "events/s"),
                    value_row("events in the log (measured against)", logged, "events")]


def main() -> int:
    leads, n, events = env_int("BENCH_LEADS", 100_000, 1), env_int("BENCH_N", 200, 1), env_int("BENCH_EVENTS", 1_000_000, 0)
    pipeline = env_int("BENCH_PIPELINE_EVENTS", 10_000, 1)
    machine = machine_info()
    try:
        with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as folder:
            timed, values, data = bench(Path(folder), leads, n, events, pipeline)
    except BenchError as exc:
        say(f"bench FAILED, no results written: {exc}")
        return 1
    machine["load_end"] = machine_info()["load"]
    write = write_large_report if events >= LARGE_EVENTS else write_report  # a large run goes beside the default one
    json_path, md_path = write(HERE, timed, values, machine, data)
    say(f"wrote {json_path} and {md_path}")
    print(md_path.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
