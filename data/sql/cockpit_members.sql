-- cockpit_members: the same counts per lead owner of one team, for the manager's member table.
-- $1 first day, $2 last day (inclusive, UTC), $3 team id.
SELECT user_id,
       SUM(n) FILTER (WHERE type = 'followup.sent' AND step = 'T3')      AS t3_sent,
       SUM(n) FILTER (WHERE type = 'followup.sent' AND step = 'T7')      AS t7_sent,
       SUM(n) FILTER (WHERE type = 'followup.sent')                      AS sent,
       SUM(n) FILTER (WHERE type = 'followup.replied')                   AS replies,
       SUM(n) FILTER (WHERE type = 'followup.replied' AND label = 'POSITIVE') AS positive,
       SUM(n) FILTER (WHERE type = 'customer.converted')                 AS conversions
FROM daily_counts
WHERE day BETWEEN $1 AND $2
  AND type IN ('followup.sent', 'followup.replied', 'customer.converted')
  AND team_id = $3
GROUP BY user_id
