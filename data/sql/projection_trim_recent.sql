-- projection_trim_recent: keep the newest 50 events of each owner in recent_events (schema.sql), by time
-- then seq. Runs with the rollup refresh, off the way to the screens. 50 is RECENT_DEPTH in
-- data/duckdb_replica.py.
DELETE FROM recent_events
WHERE seq IN (
    SELECT seq FROM (
        SELECT seq, row_number() OVER (PARTITION BY team_id, user_id ORDER BY time DESC, seq DESC) AS nth
        FROM recent_events)
    WHERE nth > 50)
