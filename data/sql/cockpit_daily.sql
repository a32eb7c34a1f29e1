-- cockpit_daily: follow-up counts per day for the cockpit KPIs and sparklines, in one scope.
-- $1 first day, $2 last day (inclusive, UTC), $3 team id or NULL (all teams), $4 owner id or NULL.
-- Only the types the cockpit shows; positive replies are the replies labelled POSITIVE.
SELECT day,
       SUM(n) FILTER (WHERE type = 'followup.sent' AND step = 'T3')      AS t3_sent,
       SUM(n) FILTER (WHERE type = 'followup.sent' AND step = 'T7')      AS t7_sent,
       SUM(n) FILTER (WHERE type = 'followup.sent')                      AS sent,
       SUM(n) FILTER (WHERE type = 'followup.replied')                   AS replies,
       SUM(n) FILTER (WHERE type = 'followup.replied' AND label = 'POSITIVE') AS positive,
       SUM(n) FILTER (WHERE type = 'customer.converted')                 AS conversions
FROM daily_counts
WHERE day BETWEEN $1 AND $2
  AND type IN ('followup.sent', 'followup.replied', 'customer.converted')
  AND ($3 IS NULL OR team_id = $3)
  AND ($4 IS NULL OR user_id = $4)
GROUP BY day
ORDER BY day
