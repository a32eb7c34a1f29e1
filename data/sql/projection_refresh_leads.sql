-- projection_refresh_leads: recompute lead_rollup and send_rollup (schema.sql) for the leads waiting in
-- rollup_pending and clear them, in the caller's transaction, so the rollups always equal these queries
-- over the facts (idempotent). The fact table is read once, into the temporary table `lead_events`,
-- which the feed's take-in reads next (projection_feed_take_in) and the caller then drops.
-- Lists are sorted: replicas agree. The crediting rules are the analytics pages' own (README
-- "Analytics": how the template numbers and ROI are computed).
CREATE OR REPLACE TEMP TABLE lead_events AS
SELECT * FROM events
WHERE lead_id IN (SELECT lead_id FROM rollup_pending);
DELETE FROM lead_rollup WHERE lead_id IN (SELECT lead_id FROM lead_events);
DELETE FROM send_rollup WHERE lead_id IN (SELECT lead_id FROM lead_events);
INSERT INTO lead_rollup
SELECT lead_id,
       min(time) FILTER (WHERE type = 'lead.registered'),
       arg_min_null(user_id, (time, seq)) FILTER (WHERE type = 'lead.registered'),
       arg_min_null(team_id, (time, seq)) FILTER (WHERE type = 'lead.registered'),
       arg_min_null(business_type, (time, seq)) FILTER (WHERE type = 'lead.registered'),
       coalesce(bool_or(type = 'lead.sample_delivered'), false),
       coalesce(bool_or(type = 'followup.sent' AND step = 'T3'), false),
       coalesce(bool_or(type = 'followup.sent' AND step = 'T7'), false),
       coalesce(bool_or(type = 'followup.replied'), false),
       coalesce(bool_or(type = 'followup.replied' AND label = 'POSITIVE'), false),
       coalesce(bool_or(type = 'customer.converted'), false),
       coalesce(list_sort(list_distinct(list(template_id) FILTER (WHERE type = 'followup.sent'))), []),
       coalesce(list_sort(list_distinct(list(step) FILTER (WHERE type = 'followup.sent'))), [])
FROM lead_events
GROUP BY lead_id;
INSERT INTO send_rollup
WITH touched AS (
    SELECT * FROM lead_events
    WHERE (type IN ('followup.sent', 'email.bounced', 'email.opened', 'email.clicked', 'followup.replied',
                    'customer.converted') OR revenue IS NOT NULL)
),
sends AS (
    SELECT *, time AS sent_at, lead(time) OVER (PARTITION BY lead_id ORDER BY time, seq) AS next_sent_at
    FROM touched WHERE type = 'followup.sent'
),
credited AS (
    SELECT s.seq,
           bool_or(e.type = 'email.bounced') AS bounced,
           bool_or(e.type IN ('email.opened', 'email.clicked')) AS opened,
           bool_or(e.type = 'email.clicked') AS clicked,
           min(e.time) FILTER (WHERE e.type = 'followup.replied') AS replied_at,
           bool_or(e.type = 'followup.replied' AND e.label IS NOT DISTINCT FROM 'POSITIVE') AS positive,
           min(e.time) FILTER (WHERE e.type = 'customer.converted') AS converted_at,
           arg_min_null(e.volume, (e.time, e.seq)) FILTER (WHERE e.type = 'customer.converted') AS volume
    FROM sends s JOIN touched e ON e.lead_id = s.lead_id AND e.time >= s.sent_at
     AND e.type IN ('email.bounced', 'email.opened', 'email.clicked', 'followup.replied', 'customer.converted')
     AND CASE WHEN e.type = 'followup.replied' AND e.step IS NOT NULL THEN e.step = s.step
              ELSE (s.next_sent_at IS NULL OR e.time < s.next_sent_at) END
    GROUP BY s.seq
),
orders AS (
    SELECT c.seq, sum(o.revenue) AS orders
    FROM credited c JOIN sends s ON s.seq = c.seq JOIN touched o ON o.lead_id = s.lead_id AND o.revenue IS NOT NULL
     AND o.time >= c.converted_at AND o.time < c.converted_at + INTERVAL 90 DAY
    GROUP BY c.seq
)
SELECT s.seq, s.lead_id, s.sent_at, s.step, s.template_id, s.template_version, s.variant, s.user_id, s.team_id,
       s.business_type, coalesce(c.bounced, false), coalesce(c.opened, false), coalesce(c.clicked, false),
       c.replied_at, coalesce(c.positive, false), c.converted_at, c.volume, o.orders
FROM sends s LEFT JOIN credited c ON c.seq = s.seq LEFT JOIN orders o ON o.seq = s.seq;
DELETE FROM rollup_pending;
