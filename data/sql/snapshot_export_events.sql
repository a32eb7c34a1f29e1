-- snapshot_export_events: the fact table `events` (schema.sql) as one Parquet file; $1 = its path, inside
-- the snapshot folder (the one folder the replica may write). Runs in the DuckDB transaction that read
-- the position, so the file holds exactly what the replica had at that position (data/duckdb_snapshot.py).
-- ZSTD: about half the size of the default compression, loaded as fast. Returns the rows written.
COPY (SELECT seq, event_id, source, type, time, day, lead_id, user_id, team_id, business_type, step,
             template_id, template_version, variant, label, customer_id, revenue, volume
      FROM events)
TO $1 (FORMAT parquet, COMPRESSION zstd)
