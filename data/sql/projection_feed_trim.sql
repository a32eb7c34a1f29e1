-- projection_feed_trim: keep the newest $1 rows of each (team, owner) in recent_events: every scope the
-- feed reads (all, a team, an owner) is a union of these groups, so its newest rows are among them.
DELETE FROM recent_events
WHERE seq IN (
    SELECT seq FROM recent_events
    QUALIFY row_number() OVER (PARTITION BY team_id, user_id ORDER BY time DESC, seq DESC) > $1
)
