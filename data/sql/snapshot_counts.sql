-- snapshot_counts: the rows of the tables a snapshot holds, in the order of data/duckdb_snapshot.py
-- TABLES (events, daily_counts). A replica with none (and position 0) is empty and may be seeded; after a
-- load they must equal the manifest's counts, or the load is rolled back.
SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM daily_counts) AS daily_counts
