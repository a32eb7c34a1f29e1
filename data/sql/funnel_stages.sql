-- funnel_stages: the leads registered in [$since, $until) within the filters (one cohort), and how many
-- of them reached each stage of the follow-up funnel at any time after. A lead counts once per stage.
-- $template_id and $step narrow the cohort to leads that were sent that template or step. Parameters:
-- $since, $until, $team_id, $user_id, $business_type, $template_id, $step (NULL = any).
WITH cohort AS (  -- registered_cohort is a macro of schema.sql
    SELECT lead_id
    FROM registered_cohort($since, $until, $team_id, $user_id, $business_type)
),
reached AS (
    SELECT c.lead_id,
           bool_or(e.type = 'lead.sample_delivered') AS sampled,
           bool_or(e.type = 'followup.sent' AND e.step = 'T3') AS t3_sent,
           bool_or(e.type = 'followup.sent' AND e.step = 'T7') AS t7_sent,
           bool_or(e.type = 'followup.replied') AS replied,
           bool_or(e.type = 'followup.replied' AND e.label = 'POSITIVE') AS positive,
           bool_or(e.type = 'customer.converted') AS converted,
           bool_or(e.type = 'followup.sent' AND e.template_id = $template_id) AS got_template,
           bool_or(e.type = 'followup.sent' AND e.step = $step) AS got_step
    FROM cohort c JOIN events e ON e.lead_id = c.lead_id
    GROUP BY c.lead_id
)
SELECT count(*) AS registered,
       count(*) FILTER (WHERE sampled) AS sample_delivered,
       count(*) FILTER (WHERE t3_sent) AS t3_sent,
       count(*) FILTER (WHERE t7_sent) AS t7_sent,
       count(*) FILTER (WHERE replied) AS replied,
       count(*) FILTER (WHERE positive) AS positive,
       count(*) FILTER (WHERE converted) AS converted
FROM reached
WHERE (CAST($template_id AS VARCHAR) IS NULL OR got_template)
  AND (CAST($step AS VARCHAR) IS NULL OR got_step);
