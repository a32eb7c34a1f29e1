-- projection_linked_facts: the registrations this batch's lead.created events link (registered `links`),
-- as (day, seq): their days' aggregates and the feed of their new owner change with the link. Run only
-- for a batch with links; the days and seqs of the batch's own events are known without a query.
SELECT e.day, e.seq
FROM events e JOIN links l
  ON e.source = CAST(l.registered_source AS VARCHAR) AND e.event_id = CAST(l.registered_id AS VARCHAR)
WHERE e.type = 'lead.registered'
