-- cockpit_recent: the newest events of leads in one scope, for the "recent activity" feed.
-- Newest by when they happened (a reply imported late still sorts by its own time), then by log order.
-- The kept rows (recent_events, up to the feed's mark) and the facts logged above the mark, read in one
-- statement so both sides see the same mark.
-- $1 team id or NULL (all teams), $2 owner id or NULL, $3 how many rows (at most FEED_ROWS_KEPT), $4 the
-- mark's name in projection_position (FEED_MARK_NAME).
WITH mark AS (
    SELECT coalesce(max(seq), 0) AS seq FROM projection_position WHERE name = $4
)
SELECT seq, type, time, lead_id, step, label, user_id
FROM (
    SELECT seq, type, time, lead_id, step, label, user_id, team_id FROM recent_events
    UNION ALL
    SELECT seq, type, time, lead_id, step, label, user_id, team_id FROM events
    WHERE seq > (SELECT seq FROM mark) AND lead_id IS NOT NULL
)
WHERE ($1 IS NULL OR team_id = $1)
  AND ($2 IS NULL OR user_id = $2)
ORDER BY time DESC, seq DESC
LIMIT $3
