-- funnel_stages: the leads registered in [$since, $until) within the filters (one cohort: a lead counts
-- by its first registration), and how many of them reached each stage of the follow-up funnel at any
-- time after. A lead counts once per stage. $template_id and $step narrow the cohort to leads that were
-- sent that template or step. Reads the per-lead rollup (schema.sql lead_rollup). Parameters:
-- $since, $until, $team_id, $user_id, $business_type, $template_id, $step (NULL = any).
SELECT count(*) AS registered,
       count(*) FILTER (WHERE sampled) AS sample_delivered,
       count(*) FILTER (WHERE t3_sent) AS t3_sent,
       count(*) FILTER (WHERE t7_sent) AS t7_sent,
       count(*) FILTER (WHERE replied) AS replied,
       count(*) FILTER (WHERE positive) AS positive,
       count(*) FILTER (WHERE converted) AS converted
FROM funnel_cohort($since, $until, $team_id, $user_id, $business_type, $template_id, $step);
