-- templates_compare: per template, version and A/B variant, the follow-ups sent in [$since, $until)
-- within the filters and what became of them. Every later event of the lead is credited to its last
-- send before it ("last touch": from the send until the lead's next send); a reply that names its step
-- goes to that step's send (schema.sql send_rollup holds the credit). delivered = sent less bounced.
-- Rows in template, version, variant order.
-- Parameters: $since, $until, $team_id, $user_id, $business_type, $step, $template_id (NULL = any).
SELECT coalesce(template_id, '(unknown)') AS template_id,
       template_version,
       coalesce(variant, 'A') AS variant,
       count(*) AS sent,
       count(*) FILTER (WHERE NOT bounced) AS delivered,
       count(*) FILTER (WHERE opened) AS opened,
       count(*) FILTER (WHERE clicked) AS clicked,
       count(replied_at) AS replied,
       count(*) FILTER (WHERE positive) AS positive,
       count(converted_at) AS converted
FROM chosen_sends($since, $until, $team_id, $user_id, $business_type, $step, $template_id)
GROUP BY ALL
ORDER BY template_id, template_version NULLS FIRST, variant;
