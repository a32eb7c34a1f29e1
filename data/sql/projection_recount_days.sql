-- projection_recount_days: recompute the daily aggregates of the days $1 (DATE[]) straight from `events`,
-- so daily_counts equals a GROUP BY of events there (idempotent); $2 a short type, or NULL for every
-- type. After a link gave registrations their lead, owner, team and business type, only the
-- registrations are recounted ($2 'lead.registered': projection_link_registrations changes no other
-- type), so a link costs that day's registrations, not every fact of a busy day. A replica rebuilt in
-- bulk (bench/replica_log.py) recounts every type. Same transaction as what changed the facts.
DELETE FROM daily_counts
WHERE day IN (SELECT unnest(CAST($1 AS DATE[]))) AND (CAST($2 AS VARCHAR) IS NULL OR type = $2);

INSERT INTO daily_counts
SELECT day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label,
       COUNT(*) AS n, COUNT(DISTINCT lead_id) AS leads, SUM(revenue) AS revenue, SUM(volume) AS volume
FROM events
WHERE day IN (SELECT unnest(CAST($1 AS DATE[]))) AND (CAST($2 AS VARCHAR) IS NULL OR type = $2)
GROUP BY day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label
