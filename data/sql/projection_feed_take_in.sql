-- projection_feed_take_in: move the feed's mark from $1 to $2 (the projection's position): the facts
-- naming a lead with a seq in ($1, $2] go into recent_events (schema.sql), at most $3 per (team, owner),
-- and so do the registrations linked to a lead since (in `lead_events`, the facts of the leads whose
-- rollups projection_refresh_leads just refreshed; a link re-reads a registration logged before the
-- mark). Facts above $2 stay with the feed's read of `events` until a hole below them is settled.
INSERT INTO recent_events
SELECT seq, type, time, lead_id, user_id, team_id, step, label
FROM (
    SELECT * FROM events WHERE seq > $1 AND seq <= $2 AND lead_id IS NOT NULL
    UNION ALL
    SELECT * FROM lead_events
    WHERE type = 'lead.registered' AND seq <= $1 AND seq NOT IN (SELECT seq FROM recent_events)
)
QUALIFY row_number() OVER (PARTITION BY team_id, user_id ORDER BY time DESC, seq DESC) <= $3
