"""The benchmark behind `make bench` (DESIGN section 8).

`python -m bench` seeds BENCH_LEADS demo leads (default 100,000) into a throw-away SQLite + DuckDB
folder, serves the real app with waitress on a loopback port, times every page callback and endpoint
over HTTP (BENCH_N requests each, default 200, after one warm-up) and writes `bench/results.json`
for machines and `bench/results.md` for people.

Modules: stats (percentiles), report (json rows + markdown), machine (what ran it), server (settings,
app, waitress), client (HTTP + Dash callback bodies), scenarios (what is measured), __main__ (the run).
Importing this package stays cheap: only `bench.server` imports the app.
"""
