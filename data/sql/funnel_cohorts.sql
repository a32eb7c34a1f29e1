-- funnel_cohorts: the funnel of funnel_stages.sql split by the ISO week (Monday) of registration,
-- newest week first. Same parameters and cohort rules as funnel_stages.sql.
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
SELECT week,
       count(*) AS registered,
       count(*) FILTER (WHERE sampled) AS sample_delivered,
       count(*) FILTER (WHERE t3_sent) AS t3_sent,
       count(*) FILTER (WHERE t7_sent) AS t7_sent,
       count(*) FILTER (WHERE replied) AS replied,
       count(*) FILTER (WHERE positive) AS positive,
       count(*) FILTER (WHERE converted) AS converted
FROM reached
WHERE (CAST($template_id AS VARCHAR) IS NULL OR got_template)
  AND (CAST($step AS VARCHAR) IS NULL OR got_step)
GROUP BY week
ORDER BY week DESC;
