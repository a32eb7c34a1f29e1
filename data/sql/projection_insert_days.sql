-- projection_insert_days: recompute the daily aggregates of the days $1 (a DATE list),
-- straight from `events`, so daily_counts always equals a GROUP BY of events (idempotent).
INSERT INTO daily_counts
SELECT day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label,
       COUNT(*) AS n, COUNT(DISTINCT lead_id) AS leads, SUM(revenue) AS revenue, SUM(volume) AS volume
FROM events
WHERE day IN (SELECT unnest(CAST($1 AS DATE[])))
GROUP BY day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label
