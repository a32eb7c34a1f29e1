-- drill_templates: the leads behind one cell of the template comparison (templates_compare.sql): the
-- sends of one template, version and variant in [$since, $until) within the filters that reached
-- $metric, with the same last-touch crediting; one row per lead, n = its sends counted in the cell.
-- Parameters: those of templates_compare.sql, plus $variant_template (the row's template id), $version
-- (its version; NULL means the sends without a known version), $variant (its letter, 'A' when none was
-- logged) and $metric (sent, delivered, opened, clicked, replied, positive, converted: a value).
WITH sends AS (
    SELECT seq, lead_id, step, template_id, template_version, variant, team_id, user_id, business_type,
           time AS sent_at, lead(time) OVER (PARTITION BY lead_id ORDER BY time, seq) AS next_sent_at
    FROM events
    WHERE type = 'followup.sent' AND lead_id IS NOT NULL
),
chosen AS (
    SELECT * FROM sends
    WHERE sent_at >= $since AND sent_at < $until
      AND (CAST($team_id AS INTEGER) IS NULL OR team_id = $team_id)
      AND (CAST($user_id AS INTEGER) IS NULL OR user_id = $user_id)
      AND (CAST($business_type AS VARCHAR) IS NULL OR business_type = $business_type)
      AND (CAST($step AS VARCHAR) IS NULL OR step = $step)
      AND (CAST($template_id AS VARCHAR) IS NULL OR template_id = $template_id)
      AND coalesce(template_id, '(unknown)') = $variant_template
      AND template_version IS NOT DISTINCT FROM CAST($version AS INTEGER)
      AND coalesce(variant, 'A') = $variant
),
credited AS (
    SELECT s.seq,
           bool_or(e.type = 'email.bounced') AS bounced,
           bool_or(e.type IN ('email.opened', 'email.clicked')) AS opened,
           bool_or(e.type = 'email.clicked') AS clicked,
           bool_or(e.type = 'followup.replied') AS replied,
           bool_or(e.type = 'followup.replied' AND e.label = 'POSITIVE') AS positive,
           bool_or(e.type = 'customer.converted') AS converted
    FROM chosen s JOIN events e ON e.lead_id = s.lead_id AND e.time >= s.sent_at
     AND e.type IN ('email.bounced', 'email.opened', 'email.clicked', 'followup.replied', 'customer.converted')
     AND CASE WHEN e.type = 'followup.replied' AND e.step IS NOT NULL THEN e.step = s.step
              ELSE (s.next_sent_at IS NULL OR e.time < s.next_sent_at) END
    GROUP BY s.seq
)
SELECT s.lead_id, count(*) AS n
FROM chosen s LEFT JOIN credited c ON c.seq = s.seq
WHERE CASE CAST($metric AS VARCHAR)
        WHEN 'sent' THEN true
        WHEN 'delivered' THEN NOT coalesce(c.bounced, false)
        WHEN 'opened' THEN coalesce(c.opened, false)
        WHEN 'clicked' THEN coalesce(c.clicked, false)
        WHEN 'replied' THEN coalesce(c.replied, false)
        WHEN 'positive' THEN coalesce(c.positive, false)
        WHEN 'converted' THEN coalesce(c.converted, false)
        ELSE false END
GROUP BY s.lead_id
ORDER BY s.lead_id;
