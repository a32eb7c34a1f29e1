-- events_page: the projected event log for the grid of /admin/events (and its CSV): the events matching the
-- grid's column filters, in the order asked for, $limit rows from $offset, each row with how many match in all.
-- Parameters: $since, $until (time window, UTC), $type_text (part of the type, any case), $lead_id, $team_id,
-- $user_id, $business_type, $step, $template_id, $variant, $label (NULL = any), $limit, $offset.
-- {order_by} and {direction} are replaced by the caller with a column from its allow-list and ASC/DESC.
WITH chosen AS (
    SELECT seq, time, type, source, event_id, lead_id, user_id, team_id, business_type, step, template_id, variant, label
    FROM events
    WHERE time >= $since AND time < $until
      AND (CAST($type_text AS VARCHAR) IS NULL OR contains(lower(type), lower($type_text)))
      AND (CAST($lead_id AS BIGINT) IS NULL OR lead_id = $lead_id)
      AND (CAST($team_id AS INTEGER) IS NULL OR team_id = $team_id)
      AND (CAST($user_id AS INTEGER) IS NULL OR user_id = $user_id)
      AND (CAST($business_type AS VARCHAR) IS NULL OR business_type = $business_type)
      AND (CAST($step AS VARCHAR) IS NULL OR step = $step)
      AND (CAST($template_id AS VARCHAR) IS NULL OR template_id = $template_id)
      AND (CAST($variant AS VARCHAR) IS NULL OR variant = $variant)
      AND (CAST($label AS VARCHAR) IS NULL OR label = $label)
)
SELECT c.*, (SELECT count(*) FROM chosen) AS total
FROM chosen c
ORDER BY {order_by} {direction} NULLS LAST, seq DESC
LIMIT $limit OFFSET $offset;
