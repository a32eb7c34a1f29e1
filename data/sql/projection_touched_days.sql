-- projection_touched_days: the days whose daily aggregates this batch changes: the days of its events
-- (registered `batch`) and the days of the registrations its lead.created events link (registered `links`).
CREATE OR REPLACE TEMP TABLE touched_days AS
SELECT DISTINCT CAST(time AS DATE) AS day FROM batch
UNION
SELECT e.day
FROM events e JOIN links l
  ON e.source = CAST(l.registered_source AS VARCHAR) AND e.event_id = CAST(l.registered_id AS VARCHAR)
WHERE e.type = 'lead.registered'
