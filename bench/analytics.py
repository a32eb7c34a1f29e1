"""The analytics pages' measurements (funnel, templates, ROI and the CSV export; DESIGN section 8):
P95 of each page's callback as analyst and as a manager with a filter, and the streamed CSV export
of the whole event log (time to last byte, MiB/s, how far the process's memory grows meanwhile).

The app is served inside the bench process, so the memory figure is this process's resident set,
sampled while the export streams: it stays bounded when rows are streamed rather than buffered.
"""
from __future__ import annotations

import os
from contextlib import nullcontext
import threading
import time
from pathlib import Path

from bench.client import CALLBACK_PATH, TIMEOUT_S, BenchError, callback_body, check, check_callback, sign_in, timed
from bench.server import MANAGER
from bench.stats import summarize, value_row

ANALYST = "analyst"
FILTER = "?business_type=RESTAURANT"
# page: (URL path, Dash id prefix of its elements, the chart a full answer holds, extra inputs of its callback)
PAGES = {"funnel": ("/funnel", "funnel", "funnel-chart", []),
         "templates": ("/templates", "tstats", "tstats-chart", []),
         "roi": ("/roi", "roi", "roi-chart", [("roi-assumption-message", "children", None)])}
EMPTY_OR_REFUSED = ['"Filter not available"', '"Not available"', "No leads registered", "No follow-ups sent",
                    "No automated follow-ups"]
EXPORT_QUERY = "?period=365d"  # the whole log: the demo and top-up history span the last 90 days
CHUNK = 1 << 20


def _callback_step(session, url: str, page: str):
    _path, prefix, chart, extra = PAGES[page]
    body = callback_body([(f"{prefix}-body", "children"), (f"{prefix}-message", "children")],
                         [(f"{prefix}-url", "search", FILTER), *extra])

    def verify(response) -> None:
        check_callback(response, f"{page} callback", EMPTY_OR_REFUSED)
        if chart not in response.text:
            raise BenchError(f"{page} callback: no {chart} in the answer: {response.text[:300]!r}")
    return lambda: timed(lambda: session.post(url + CALLBACK_PATH, json=body, timeout=TIMEOUT_S), verify)


def callback_rows(url: str, n: int, events: int, say, computed=None) -> list[dict]:
    """Each page's callback as analyst and manager; then, within `computed` (bench.server.computed_reads),
    the analyst's again with every answer computed afresh (what the first request after an event costs)."""
    rows = []
    for who, suffix in ((ANALYST, ""), (MANAGER, ""), (ANALYST, ", computed afresh")):
        session = sign_in(url, who)
        for page in PAGES:
            step = _callback_step(session, url, page)
            step()  # warm-up: the first query of a shape plans and caches
            name = f"{page} page callback ({who}, business type filter{suffix})"
            with computed() if suffix and computed else nullcontext():
                rows.append(summarize(name, [step() for _ in range(n)], events))
            say(f"  {name}: p50 {rows[-1]['p50_ms']:.1f} ms  p95 {rows[-1]['p95_ms']:.1f} ms")
    return rows


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024  # kB
    return 0.0


class RssPeak:
    """This process's highest resident set seen while the block runs, sampled every 20 ms."""

    def __init__(self):
        self.base = self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-rss", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> "RssPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _download(session, url: str) -> tuple[float, float, int, int]:
    """(ms to first byte, ms to last byte, bytes, lines) of one export, read and dropped 1 MiB at a time."""
    start = time.perf_counter()
    response = check(session.get(f"{url}/export/events.csv{EXPORT_QUERY}", stream=True, timeout=TIMEOUT_S), 200,
                     "GET /export/events.csv")
    first, size, lines = None, 0, 0
    for chunk in response.iter_content(CHUNK):
        first = first or time.perf_counter()
        size, lines = size + len(chunk), lines + chunk.count(b"\n")
    end = time.perf_counter()
    return ((first or end) - start) * 1000, (end - start) * 1000, size, lines


def export_rows(url: str, events: int, say) -> tuple[list[dict], list[dict]]:
    runs = int(os.environ.get("BENCH_EXPORT_RUNS", "3"))
    session = sign_in(url, ANALYST)
    with RssPeak() as rss:
        results = [_download(session, url) for _ in range(runs)]
    rows = results[-1][3] - 1  # less the header line
    if rows < events * 0.99:
        raise BenchError(f"GET /export/events.csv: {rows:,} rows for {events:,} logged events")
    last = [r[1] for r in results]
    mib_s = results[-1][2] / (1 << 20) / (results[-1][1] / 1000)
    say(f"  events export: {rows:,} rows, {results[-1][2] / (1 << 20):.0f} MiB, last byte after {max(last) / 1000:.1f} s,"
        f" {mib_s:.1f} MiB/s, RSS {rss.base:.0f} -> {rss.peak:.0f} MiB")
    timed_rows = [summarize(f"CSV export of the events table, {rows:,} rows: time to last byte (streamed download, "
                            f"not a callback)", last, events),
                  summarize("CSV export of the events table: time to first byte", [r[0] for r in results], events)]
    values = [value_row("CSV export of the events table: rows", rows, "rows"),
              value_row("CSV export of the events table: size", results[-1][2] / (1 << 20), "MiB"),
              value_row("CSV export of the events table: throughput", mib_s, "MiB/s"),
              value_row("resident memory of the server process before the exports", rss.base, "MiB"),
              value_row("peak resident memory of the server process during the exports", rss.peak, "MiB")]
    return timed_rows, values


def analytics_rows(url: str, n: int, events: int, say, computed=None) -> tuple[list[dict], list[dict]]:
    """(timed rows, value rows) of the analytics pages and the export, against `events` logged events."""
    say("  analytics callbacks (analyst, manager) ...")
    rows = callback_rows(url, n, events, say, computed)
    say("  CSV export of the events table ...")
    export_timed, values = export_rows(url, events, say)
    return rows + export_timed, values
