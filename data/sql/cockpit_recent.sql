-- cockpit_recent: the newest events of leads in one scope, for the "recent activity" feed.
-- Newest by when they happened (a reply imported late still sorts by its own time), then by log order.
-- $1 team id or NULL (all teams), $2 owner id or NULL, $3 how many rows.
SELECT seq, type, time, lead_id, step, label, user_id
FROM events
WHERE lead_id IS NOT NULL
  AND ($1 IS NULL OR team_id = $1)
  AND ($2 IS NULL OR user_id = $2)
ORDER BY time DESC, seq DESC
LIMIT $3
