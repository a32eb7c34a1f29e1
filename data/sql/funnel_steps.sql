-- funnel_steps: T+3 against T+7, one row per step. A reply or a conversion is credited to the lead's
-- last follow-up sent before it ("last touch"); a reply that names its step goes to that step's send
-- (schema.sql send_rollup holds the credit). Counts are of sends made in [$since, $until) within the
-- filters; hours_to_reply is the median time from a send to the first reply credited to it.
-- Parameters as funnel_stages.sql plus $step.
SELECT step,
       count(*) AS sent,
       count(replied_at) AS replied,
       count(*) FILTER (WHERE positive) AS positive,
       count(converted_at) AS converted,
       median(epoch(replied_at - sent_at) / 3600.0) AS hours_to_reply
FROM chosen_sends($since, $until, $team_id, $user_id, $business_type, $step, $template_id)
GROUP BY step
ORDER BY step;
