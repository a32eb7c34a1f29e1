-- projection_refresh_groups: recompute the daily aggregates of the groups (a day and every dimension)
-- that the facts with seqs $1 (the batch just inserted, BIGINT[]) fall in, straight from `events`, so
-- daily_counts stays equal to a GROUP BY of events (idempotent). A batch of one event touches one
-- group: its recount reads that group's events, found through its day and type, not the whole day's.
-- batch_groups and daily_group_key are in schema.sql.
DELETE FROM daily_counts d
USING batch_groups(CAST($1 AS BIGINT[])) g
WHERE d.day = g.day AND d.type = g.type
  AND daily_group_key(d.day, d.type, d.user_id, d.team_id, d.business_type, d.step, d.template_id,
                      d.template_version, d.variant, d.label) = g.group_key;

INSERT INTO daily_counts
SELECT e.day, e.type, e.user_id, e.team_id, e.business_type, e.step, e.template_id, e.template_version, e.variant,
       e.label, COUNT(*) AS n, COUNT(DISTINCT e.lead_id) AS leads, SUM(e.revenue) AS revenue, SUM(e.volume) AS volume
FROM events e
SEMI JOIN batch_groups(CAST($1 AS BIGINT[])) g
  ON e.day = g.day AND e.type = g.type
 AND daily_group_key(e.day, e.type, e.user_id, e.team_id, e.business_type, e.step, e.template_id,
                     e.template_version, e.variant, e.label) = g.group_key
GROUP BY ALL
