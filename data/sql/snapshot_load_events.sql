-- snapshot_load_events: fill the empty fact table `events` from a snapshot's Parquet file ($1), in the
-- transaction that also stores the snapshot's position. Columns are taken by name, so the load does not
-- depend on their order in the file; the manifest already said the file has this schema.
INSERT INTO events (seq, event_id, source, type, time, day, lead_id, user_id, team_id, business_type, step,
                    template_id, template_version, variant, label, customer_id, revenue, volume)
SELECT seq, event_id, source, type, time, day, lead_id, user_id, team_id, business_type, step,
       template_id, template_version, variant, label, customer_id, revenue, volume
FROM read_parquet($1)
