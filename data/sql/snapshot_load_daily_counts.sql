-- snapshot_load_daily_counts: fill the empty `daily_counts` from a snapshot's Parquet file ($1), in the
-- same transaction as snapshot_load_events. Columns by name, as there.
INSERT INTO daily_counts (day, type, user_id, team_id, business_type, step, template_id, template_version,
                          variant, label, n, leads, revenue, volume)
SELECT day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label,
       n, leads, revenue, volume
FROM read_parquet($1)
