-- projection_refresh_recent: take the facts with seqs $1 (BIGINT[]: a batch just inserted, registrations
-- a link just gave a lead) into recent_events (schema.sql) as they now stand in `events`, then keep the
-- newest 50 of each owner they fall to. Idempotent; the seq range lets the scan skip all but the
-- row groups holding them. 50 is RECENT_DEPTH in data/duckdb_replica.py.
DELETE FROM recent_events WHERE list_contains(CAST($1 AS BIGINT[]), seq);

INSERT INTO recent_events
SELECT seq, type, time, lead_id, step, label, user_id, team_id
FROM events
WHERE seq BETWEEN list_min(CAST($1 AS BIGINT[])) AND list_max(CAST($1 AS BIGINT[]))
  AND list_contains(CAST($1 AS BIGINT[]), seq) AND lead_id IS NOT NULL;

DELETE FROM recent_events
WHERE seq IN (
    SELECT seq FROM (
        SELECT r.seq, row_number() OVER (PARTITION BY r.team_id, r.user_id ORDER BY r.time DESC, r.seq DESC) AS nth
        FROM recent_events r
        SEMI JOIN (SELECT DISTINCT team_id, user_id FROM recent_events WHERE list_contains(CAST($1 AS BIGINT[]), seq)) o
          ON r.team_id IS NOT DISTINCT FROM o.team_id AND r.user_id IS NOT DISTINCT FROM o.user_id)
    WHERE nth > 50)
