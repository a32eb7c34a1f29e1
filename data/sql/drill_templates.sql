-- drill_templates: the leads behind one cell of the template comparison (templates_compare.sql): the
-- sends of one template, version and variant in [$since, $until) within the filters that reached
-- $metric, with the same last-touch crediting; one row per lead, n = its sends counted in the cell.
-- Parameters: those of templates_compare.sql, plus $variant_template (the row's template id), $version
-- (its version; NULL means the sends without a known version), $variant (its letter, 'A' when none was
-- logged) and $metric (sent, delivered, opened, clicked, replied, positive, converted: a value).
SELECT lead_id, count(*) AS n
FROM chosen_sends($since, $until, $team_id, $user_id, $business_type, $step, $template_id)
WHERE coalesce(template_id, '(unknown)') = $variant_template
  AND template_version IS NOT DISTINCT FROM CAST($version AS INTEGER)
  AND coalesce(variant, 'A') = $variant
  AND CASE CAST($metric AS VARCHAR)
        WHEN 'sent' THEN true
        WHEN 'delivered' THEN NOT bounced
        WHEN 'opened' THEN opened
        WHEN 'clicked' THEN clicked
        WHEN 'replied' THEN replied_at IS NOT NULL
        WHEN 'positive' THEN positive
        WHEN 'converted' THEN converted_at IS NOT NULL
        ELSE false END
GROUP BY lead_id
ORDER BY lead_id;
