-- projection_insert_events: append the registered DataFrame `batch` (one row per OLTP event, columns
-- as in schema.sql `events`) to the fact table. A seq already present is skipped, so re-reading rows
-- after a young gap in the log can never count an event twice.
INSERT INTO events
SELECT CAST(seq AS BIGINT), CAST(event_id AS VARCHAR), CAST(source AS VARCHAR), CAST(type AS VARCHAR),
       CAST(time AS TIMESTAMP), CAST(time AS DATE), CAST(lead_id AS BIGINT), CAST(user_id AS INTEGER),
       CAST(team_id AS INTEGER), CAST(business_type AS VARCHAR), CAST(step AS VARCHAR),
       CAST(template_id AS VARCHAR), CAST(template_version AS INTEGER), CAST(variant AS VARCHAR),
       CAST(label AS VARCHAR), CAST(customer_id AS BIGINT), CAST(revenue AS DOUBLE), CAST(volume AS DOUBLE)
FROM batch
ON CONFLICT (seq) DO NOTHING
