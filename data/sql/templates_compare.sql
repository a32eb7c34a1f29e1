-- templates_compare: per template, version and A/B variant, the follow-ups sent in [$since, $until)
-- within the filters and what became of them. Every later event of the lead is credited to its last
-- send before it ("last touch": from the send until the lead's next send); a reply that names its step
-- goes to that step's send. delivered = sent less bounced. Rows in template, version, variant order.
-- Parameters: $since, $until, $team_id, $user_id, $business_type, $step, $template_id (NULL = any).
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
SELECT coalesce(s.template_id, '(unknown)') AS template_id,
       s.template_version,
       coalesce(s.variant, 'A') AS variant,
       count(*) AS sent,
       count(*) - count(*) FILTER (WHERE c.bounced) AS delivered,
       count(*) FILTER (WHERE c.opened) AS opened,
       count(*) FILTER (WHERE c.clicked) AS clicked,
       count(*) FILTER (WHERE c.replied) AS replied,
       count(*) FILTER (WHERE c.positive) AS positive,
       count(*) FILTER (WHERE c.converted) AS converted
FROM chosen s LEFT JOIN credited c ON c.seq = s.seq
GROUP BY ALL
ORDER BY template_id, template_version NULLS FIRST, variant;
