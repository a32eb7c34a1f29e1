-- projection_link_registrations: a lead.registered sent by another system is logged before the
-- cockpit creates its lead, so it was projected with no lead. The lead-state consumer's lead.created
-- names it (registered `links`: registered_source, registered_id, lead_id, user_id, team_id,
-- business_type): give that fact its lead, owner, team and business type. Idempotent.
UPDATE events
SET lead_id = CAST(l.lead_id AS BIGINT), user_id = CAST(l.user_id AS INTEGER), team_id = CAST(l.team_id AS INTEGER),
    business_type = coalesce(CAST(l.business_type AS VARCHAR), events.business_type)
FROM links l
WHERE events.type = 'lead.registered'
  AND events.source = CAST(l.registered_source AS VARCHAR) AND events.event_id = CAST(l.registered_id AS VARCHAR)
