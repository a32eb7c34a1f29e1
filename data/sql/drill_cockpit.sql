-- drill_cockpit: the leads behind one cockpit card (cockpit_daily.sql sums the same events): the events of
-- one kind on the UTC days [$first, $last] in one scope, one row per lead, n = its events counted.
-- Parameters: $first, $last (dates), $type (short event type), $step and $label (NULL = any),
-- $team_id and $user_id (NULL = all teams, every owner).
SELECT lead_id, count(*) AS n
FROM events
WHERE day BETWEEN $first AND $last
  AND type = $type AND lead_id IS NOT NULL
  AND (CAST($step AS VARCHAR) IS NULL OR step = $step)
  AND (CAST($label AS VARCHAR) IS NULL OR label = $label)
  AND (CAST($team_id AS INTEGER) IS NULL OR team_id = $team_id)
  AND (CAST($user_id AS INTEGER) IS NULL OR user_id = $user_id)
GROUP BY lead_id
ORDER BY lead_id;
