-- projection_recount_registrations: recompute the daily aggregates of the registrations on the days $1
-- (DATE[]) straight from `events`, after a link gave some of them their lead, owner, team and business
-- type (projection_link_registrations changes no other type). The days' other facts keep their counts,
-- so a link costs that day's registrations, not every fact of a busy day. Same transaction as the link.
DELETE FROM daily_counts
WHERE type = 'lead.registered' AND day IN (SELECT unnest(CAST($1 AS DATE[])));

INSERT INTO daily_counts
SELECT day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label,
       COUNT(*) AS n, COUNT(DISTINCT lead_id) AS leads, SUM(revenue) AS revenue, SUM(volume) AS volume
FROM events
WHERE type = 'lead.registered' AND day IN (SELECT unnest(CAST($1 AS DATE[])))
GROUP BY day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label
