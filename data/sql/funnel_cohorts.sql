-- funnel_cohorts: the funnel of funnel_stages.sql split by the ISO week (Monday) of registration,
-- newest week first. Same parameters and cohort rules as funnel_stages.sql.
SELECT CAST(date_trunc('week', registered_at) AS DATE) AS week,
       count(*) AS registered,
       count(*) FILTER (WHERE sampled) AS sample_delivered,
       count(*) FILTER (WHERE t3_sent) AS t3_sent,
       count(*) FILTER (WHERE t7_sent) AS t7_sent,
       count(*) FILTER (WHERE replied) AS replied,
       count(*) FILTER (WHERE positive) AS positive,
       count(*) FILTER (WHERE converted) AS converted
FROM funnel_cohort($since, $until, $team_id, $user_id, $business_type, $template_id, $step)
GROUP BY week
ORDER BY week DESC;
