-- projection_lead_events: the facts of the leads waiting in rollup_pending copied into the temporary
-- table projection_refresh_leads reads, so the fact table is scanned once per refresh.
CREATE OR REPLACE TEMP TABLE lead_events AS
SELECT * FROM events
WHERE lead_id IN (SELECT lead_id FROM rollup_pending)
