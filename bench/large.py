"""The large run (`BENCH_EVENTS` of 10,000,000 or more): its rows go beside the default run's, not over them.

The default run writes results.json and results.md. A large run writes results-large.json and large.md and
puts large.md into results.md between its markers: each latency row next to the default run's p95 (from
results.json), the callbacks held to their limit at that size (DESIGN section 8: p95 <= 100 ms), then
its figures. Every later default run carries large.md along (bench/report.py).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from bench.report import LARGE_END, LARGE_START, json_rows, splice_block, targets, value_table, write_atomic

LARGE_EVENTS = 10_000_000
CALLBACK_LIMIT_MS = 100.0


def is_callback(name: str) -> bool:
    return "callback" in name and targets(name) is not None  # a whole download is "not a callback"


def _limit(row: dict) -> str:
    if not is_callback(row["name"]):
        return "-"
    return "ok" if row["p95_ms"] <= CALLBACK_LIMIT_MS else f"**OVER {CALLBACK_LIMIT_MS:.0f} ms**"


def render(timed: Sequence[dict], values: Sequence[dict], machine: dict, data: dict,
           default_rows: Sequence[dict]) -> str:
    """large.md: where and on what it ran, the latency table beside the default run's p95, the figures."""
    default_p95 = {r["name"]: r["p95_ms"] for r in default_rows if "p95_ms" in r}
    default_events = next((r["events"] for r in default_rows if "events" in r), None)
    events = next((r["events"] for r in timed), 0)
    beside = f"p95 ms at {default_events:,} events" if default_events else "p95 ms at the default size"
    callbacks = [r for r in timed if is_callback(r["name"])]
    over = [r["name"] for r in callbacks if r["p95_ms"] > CALLBACK_LIMIT_MS]
    lines = [f"## At {events:,} events (`BENCH_EVENTS={events}`)", "",
             f"- Date: {machine['date']}; {machine['nproc']} CPUs, {machine['cpu']}; 1-minute load average "
             f"{machine.get('load', 0):.1f} at start, {machine.get('load_end', 0):.1f} at end",
             f"- Data: {data['leads']:,} leads, {data['activities']:,} activities; {data['n']} timed requests "
             f"per measurement", "",
             f"| Measurement | n | p50 ms | p95 ms | p99 ms | {beside} | callback p95 <= {CALLBACK_LIMIT_MS:.0f} ms |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in timed:
        was = default_p95.get(r["name"])
        lines.append(f"| {r['name']} | {r['n']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} "
                     f"| {'-' if was is None else f'{was:.1f}'} | {_limit(r)} |")
    lines += ["", f"{len(over)} of {len(callbacks)} callbacks over {CALLBACK_LIMIT_MS:.0f} ms"
              + (f": {', '.join(over)}." if over else "."), "", "### Figures at this size", ""]
    return "\n".join(lines + value_table(values))


def write(folder: Path, timed: Sequence[dict], values: Sequence[dict], machine: dict,
          data: dict) -> tuple[Path, Path]:
    """results-large.json and large.md, and large.md put into results.md; returns (json, results.md)."""
    folder = Path(folder)
    json_path, md_path = folder / "results-large.json", folder / "results.md"
    default = folder / "results.json"
    default_rows = json.loads(default.read_text(encoding="utf-8")) if default.exists() else []
    write_atomic(json_path, json.dumps(json_rows(timed, values), indent=2, ensure_ascii=False) + "\n")
    section = render(timed, values, machine, data, default_rows)
    write_atomic(folder / "large.md", section + "\n")
    profiles = folder / "profiles.md"
    notes = profiles.read_text(encoding="utf-8") if profiles.exists() else ""
    results = md_path.read_text(encoding="utf-8") if md_path.exists() else ""
    write_atomic(md_path, splice_block(results, section, LARGE_START, LARGE_END, notes))
    return json_path, md_path
