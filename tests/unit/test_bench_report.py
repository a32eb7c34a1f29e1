"""The bench's arithmetic and report: nearest-rank percentiles, results.json rows, results.md verdicts."""
import json

import pytest

from bench.report import TIMED_KEYS, VALUE_KEYS, json_rows, render_markdown, write_report
from bench.stats import percentile, summarize, value_row

MACHINE = {"nproc": 2, "cpu": "Test CPU", "python": "3.11.0", "load": 1.5, "date": "2026-11-29 00:00 UTC"}
DATA = {"leads": 100_000, "activities": 412_345, "n": 200}


@pytest.mark.parametrize("pct,expected", [(5, 15), (30, 20), (40, 20), (50, 35), (100, 50)])
def test_nearest_rank_textbook_example(pct, expected):
    assert percentile([50, 15, 40, 35, 20], pct) == expected  # unsorted on purpose


def test_percentiles_of_one_to_hundred_are_exact_ranks():
    samples = list(range(100, 0, -1))
    assert [percentile(samples, p) for p in (1, 7, 50, 95, 99, 100)] == [1, 7, 50, 95, 99, 100]


def test_one_sample_is_every_percentile():
    assert percentile([3.5], 1) == percentile([3.5], 99) == 3.5


@pytest.mark.parametrize("samples,pct", [([], 50), ([1.0], 0), ([1.0], 101)])
def test_percentile_refuses_nonsense(samples, pct):
    with pytest.raises(ValueError):
        percentile(samples, pct)


def _rows():
    fast = summarize("GET /healthz", [1.0 + i / 100 for i in range(200)], DATA["activities"])
    slow = summarize("leads table callback (admin, search)", [150.0] * 180 + [400.0] * 20, DATA["activities"])
    return [fast, slow], [value_row("demo data seeding", 61.234, "s"), value_row("leads in the database", 100_000, "leads")]


def test_summary_row_carries_percentiles_and_size():
    fast, slow = _rows()[0]
    assert fast == {"name": "GET /healthz", "p50_ms": 1.99, "p95_ms": 2.89, "p99_ms": 2.97, "n": 200, "events": 412_345}
    assert (slow["p50_ms"], slow["p95_ms"], slow["p99_ms"]) == (150.0, 400.0, 400.0)


def test_markdown_marks_the_over_target_row_only():
    timed, values = _rows()
    md = render_markdown(timed, values, MACHINE, DATA)
    fast_line, slow_line = (next(line for line in md.splitlines() if line.startswith(f"| {r['name']} |")) for r in timed)
    assert "OVER TARGET" in slow_line and "2.0×" in slow_line
    assert "OVER" not in fast_line and "ok" in fast_line
    assert "1 of 2 measurements are over the target: leads table callback (admin, search)." in md
    assert "2 CPUs" in md and "Test CPU" in md and "3.11.0" in md and "100,000 leads" in md and "2026-11-29" in md
    assert "make bench" in md and "BENCH_LEADS" in md and "BENCH_N" in md
    assert "busy machine" not in md  # load 1.5 on 2 CPUs


def test_markdown_warns_when_the_machine_was_busy():
    timed, values = _rows()
    md = render_markdown(timed, values, dict(MACHINE, load=0.5, load_end=9.0), DATA)
    assert "0.5 at start, 9.0 at end" in md and "busy machine" in md


def test_json_rows_carry_exactly_the_required_keys(tmp_path):
    timed, values = _rows()
    json_path, md_path = write_report(tmp_path, timed, values, MACHINE, DATA)
    rows = json.loads(json_path.read_text(encoding="utf-8"))
    assert rows == json_rows(timed, values)
    assert [tuple(r) for r in rows] == [TIMED_KEYS] * 2 + [VALUE_KEYS] * 2
    assert rows[2] == {"name": "demo data seeding", "value": 61.23, "unit": "s"}
    assert "OVER TARGET" in md_path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json", "results.md"]  # no .tmp left behind


def test_stream_latency_and_whole_downloads_are_held_to_their_own_numbers():
    from bench.report import verdict

    assert verdict(377.0, "event-to-screen latency over SSE (sales)") == "ok"  # within 1 s, over the 250 ms aim
    assert verdict(180.0, "event-to-screen latency over SSE (sales)") == "ok, within the 250 ms aim"
    assert "OVER TARGET" in verdict(1200.0, "event-to-screen latency over SSE (sales)")
    assert verdict(7872.0, "CSV export, 1,000,000 rows: time to last byte") == "a throughput: see the figures"
    assert "OVER TARGET" in verdict(205.0, "CSV export of the events table: time to first byte")


def test_a_scale_out_run_replaces_its_section_and_keeps_the_profile_notes():
    from bench.scale import splice
    profiles = "## Where the time went\n\nnotes\n"
    first = splice("# Results\n\n| a |\n\n" + profiles, "## Scale-out\n\nrun 1", profiles)
    assert first.index("run 1") < first.index("## Where the time went") and first.endswith(profiles)
    second = splice(first, "## Scale-out\n\nrun 2", profiles)
    assert "run 2" in second and "run 1" not in second and second.count("## Scale-out") == 1
    assert second.endswith(profiles)


def test_every_report_carries_the_last_scale_out_section(tmp_path):
    (tmp_path / "scale.md").write_text("## Scale-out\n\n| 3 replicas |\n", encoding="utf-8")
    _, md = write_report(tmp_path, [], [], MACHINE, DATA)
    assert "| 3 replicas |" in md.read_text(encoding="utf-8")


def test_the_scale_out_table_says_where_the_machines_cpu_went():
    from bench.cpu_use import CpuUse
    from bench.scale import render
    rows = [{"replicas": 1, "start_s": 12.0, "callbacks_per_s": 10.9, "cpu_ms_per_request": 52.5,
             "cpu": CpuUse(machine=1.97, replicas=0.57, postgres=0.3, client=0.9), "ingest_per_s": 1630}]
    text = render(rows, 5000, 400)
    assert "| 1 | 12.0 s | 10.9 | 52.5 ms | 1.97 (0.57, 0.30, 0.90) | 1630 | - |" in text
    assert "the machine was 1.97 of its" in text and "own clients 0.90, PostgreSQL 0.30" in text


def test_a_large_run_goes_beside_the_default_run_with_its_callbacks_held_to_100_ms(tmp_path):
    from bench.large import write
    timed, values = _rows()
    (tmp_path / "profiles.md").write_text("## Where the time went\n\nnotes\n", encoding="utf-8")
    write_report(tmp_path, timed, values, MACHINE, DATA)
    default_md = (tmp_path / "results.md").read_text(encoding="utf-8")
    download = summarize("CSV export, 10,000,000 rows: time to last byte (streamed download, not a callback)", [9e3], 1)
    large = [dict(r, p95_ms=r["p95_ms"] * 2, events=10_000_000) for r in timed] + [download]
    json_path, md_path = write(tmp_path, large, [value_row("events in the log", 10_000_000, "events")], MACHINE, DATA)
    md = md_path.read_text(encoding="utf-8")
    assert md.startswith(default_md[:default_md.index("## Where the time went")].rstrip()), "the default run stays"
    assert json.loads((tmp_path / "results.json").read_text()) == json_rows(timed, values)
    assert json.loads(json_path.read_text())[0]["events"] == 10_000_000
    section = md[md.index("## At 10,000,000 events"):]
    line = next(line for line in section.splitlines() if line.startswith("| leads table callback (admin, search) |"))
    assert "| 800.0 |" in line and "| 400.0 |" in line and "OVER 100 ms" in line  # its p95 beside the default's
    assert "1 of 1 callbacks over 100 ms" in md and md.endswith("notes\n")
    again = write(tmp_path, large, [], MACHINE, DATA)[1].read_text(encoding="utf-8")
    assert again.count("## At 10,000,000 events") == 1
    assert "| 10,000,000 |" not in again, "a second large run replaces the first"
    rerun = write_report(tmp_path, timed, values, MACHINE, DATA)[1].read_text(encoding="utf-8")
    assert "## At 10,000,000 events" in rerun, "a later default run carries the large run's section"
