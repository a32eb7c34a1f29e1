-- funnel_events: the underlying event rows behind the analytics pages, for CSV export. Same filters as
-- the pages, on the event's own time. {order_by} and {direction} are replaced by the caller with a
-- column from its allow-list and ASC/DESC; every value is a bound parameter.
SELECT seq, time, type, lead_id, user_id, team_id, business_type, step, template_id, template_version,
       variant, label, customer_id, revenue, volume
FROM events
WHERE time >= $since AND time < $until
  AND (CAST($team_id AS INTEGER) IS NULL OR team_id = $team_id)
  AND (CAST($user_id AS INTEGER) IS NULL OR user_id = $user_id)
  AND (CAST($business_type AS VARCHAR) IS NULL OR business_type = $business_type)
  AND (CAST($step AS VARCHAR) IS NULL OR step = $step)
  AND (CAST($template_id AS VARCHAR) IS NULL OR template_id = $template_id)
ORDER BY {order_by} {direction}, seq;
