-- projection_refresh_recent: take the facts with seqs $1 (BIGINT[]: a batch just inserted, registrations
-- a link just gave a lead) that recent_events (schema.sql) does not hold yet into it, as they now stand
-- in `events`. One statement on the way to the screens: the table may hold more than 50 of an owner
-- until projection_trim_recent runs with the rollups, which the feed's top-N does not mind. A link
-- first deletes the rows of the registrations it re-attributes. The seq range lets the scan skip all
-- but the row groups holding them.
INSERT INTO recent_events
SELECT seq, type, time, lead_id, step, label, user_id, team_id
FROM events
WHERE seq BETWEEN list_min(CAST($1 AS BIGINT[])) AND list_max(CAST($1 AS BIGINT[]))
  AND list_contains(CAST($1 AS BIGINT[]), seq) AND lead_id IS NOT NULL
  AND seq NOT IN (SELECT seq FROM recent_events WHERE list_contains(CAST($1 AS BIGINT[]), seq))
