-- drill_funnel: the leads behind one number of the funnel (funnel_stages.sql) or of one cohort week
-- (funnel_cohorts.sql): the same cohort and the same "reached" rules, one row per lead (n = 1).
-- Parameters: those of funnel_stages.sql, plus $stage (registered, sample_delivered, t3_sent, t7_sent,
-- replied, positive, converted: a value, never a column name) and $week (the Monday of a cohort week,
-- NULL = every week of the period).
SELECT lead_id, 1 AS n
FROM funnel_cohort($since, $until, $team_id, $user_id, $business_type, $template_id, $step)
WHERE (CAST($week AS DATE) IS NULL OR CAST(date_trunc('week', registered_at) AS DATE) = $week)
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
