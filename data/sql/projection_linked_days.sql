-- projection_linked_days: the days of the registrations this batch's lead.created events link
-- (registered `links`): their daily aggregates change with the link. Run only for a batch with links;
-- the days of the batch's own events are known without a query.
SELECT DISTINCT e.day
FROM events e JOIN links l
  ON e.source = CAST(l.registered_source AS VARCHAR) AND e.event_id = CAST(l.registered_id AS VARCHAR)
WHERE e.type = 'lead.registered'
