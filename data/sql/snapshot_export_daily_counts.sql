-- snapshot_export_daily_counts: the daily aggregates `daily_counts` (schema.sql) as one Parquet file;
-- $1 = its path in the snapshot folder. Same transaction as snapshot_export_events, so both agree with
-- each other and with the position. Returns the rows written.
COPY (SELECT day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label,
             n, leads, revenue, volume
      FROM daily_counts)
TO $1 (FORMAT parquet, COMPRESSION zstd)
