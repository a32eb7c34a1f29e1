-- drill_funnel: the leads behind one number of the funnel (funnel_stages.sql) or of one cohort week
-- (funnel_cohorts.sql): the same cohort and the same "reached" rules, one row per lead (n = 1).
-- Parameters: those of funnel_stages.sql, plus $stage (registered, sample_delivered, t3_sent, t7_sent,
-- replied, positive, converted: a value, never a column name) and $week (the Monday of a cohort week,
-- NULL = every week of the period).
WITH cohort AS (  -- registered_cohort is a macro of schema.sql
    SELECT lead_id, registered_at
    FROM registered_cohort($since, $until, $team_id, $user_id, $business_type)
),
reached AS (
    SELECT c.lead_id, CAST(date_trunc('week', c.registered_at) AS DATE) AS week,
           bool_or(e.type = 'lead.sample_delivered') AS sampled,
           bool_or(e.type = 'followup.sent' AND e.step = 'T3') AS t3_sent,
           bool_or(e.type = 'followup.sent' AND e.step = 'T7') AS t7_sent,
           bool_or(e.type = 'followup.replied') AS replied,
           bool_or(e.type = 'followup.replied' AND e.label = 'POSITIVE') AS positive,
           bool_or(e.type = 'customer.converted') AS converted,
           bool_or(e.type = 'followup.sent' AND e.template_id = $template_id) AS got_template,
           bool_or(e.type = 'followup.sent' AND e.step = $step) AS got_step
    FROM cohort c JOIN events e ON e.lead_id = c.lead_id
    GROUP BY c.lead_id, c.registered_at
)
SELECT lead_id, 1 AS n
FROM reached
WHERE (CAST($template_id AS VARCHAR) IS NULL OR got_template)
  AND (CAST($step AS VARCHAR) IS NULL OR got_step)
  AND (CAST($week AS DATE) IS NULL OR week = $week)
  AND CASE CAST($stage AS VARCHAR)
        WHEN 'registered' THEN true
        WHEN 'sample_delivered' THEN sampled
        WHEN 't3_sent' THEN t3_sent
        WHEN 't7_sent' THEN t7_sent
        WHEN 'replied' THEN replied
        WHEN 'positive' THEN positive
        WHEN 'converted' THEN converted
        ELSE false END
ORDER BY lead_id;
