-- funnel_steps: T+3 against T+7, one row per step. A reply or a conversion is credited to the lead's
-- last follow-up sent before it ("last touch"); a reply that names its step goes to that step's send.
-- Counts are of sends made in [$since, $until) within the filters; hours_to_reply is the median time
-- from a send to the first reply credited to it. Parameters as funnel_stages.sql plus $step.
WITH sends AS (
    SELECT seq, lead_id, step, time AS sent_at,
           lead(time) OVER (PARTITION BY lead_id ORDER BY time, seq) AS next_sent_at
    FROM events
    WHERE type = 'followup.sent' AND lead_id IS NOT NULL
),
chosen AS (
    SELECT s.* FROM sends s JOIN events e ON e.seq = s.seq
    WHERE s.sent_at >= $since AND s.sent_at < $until
      AND (CAST($team_id AS INTEGER) IS NULL OR e.team_id = $team_id)
      AND (CAST($user_id AS INTEGER) IS NULL OR e.user_id = $user_id)
      AND (CAST($business_type AS VARCHAR) IS NULL OR e.business_type = $business_type)
      AND (CAST($step AS VARCHAR) IS NULL OR e.step = $step)
      AND (CAST($template_id AS VARCHAR) IS NULL OR e.template_id = $template_id)
),
replies AS (
    SELECT s.seq, min(r.time) AS replied_at, bool_or(r.label = 'POSITIVE') AS positive
    FROM chosen s JOIN events r ON r.type = 'followup.replied' AND r.lead_id = s.lead_id AND r.time >= s.sent_at
     AND CASE WHEN r.step IS NOT NULL THEN r.step = s.step ELSE (s.next_sent_at IS NULL OR r.time < s.next_sent_at) END
    GROUP BY s.seq
),
conversions AS (
    SELECT s.seq
    FROM chosen s JOIN events c ON c.type = 'customer.converted' AND c.lead_id = s.lead_id AND c.time >= s.sent_at
     AND (s.next_sent_at IS NULL OR c.time < s.next_sent_at)
    GROUP BY s.seq
)
SELECT s.step,
       count(*) AS sent,
       count(r.seq) AS replied,
       count(*) FILTER (WHERE r.positive) AS positive,
       count(c.seq) AS converted,
       median(epoch(r.replied_at - s.sent_at) / 3600.0) AS hours_to_reply
FROM chosen s LEFT JOIN replies r ON r.seq = s.seq LEFT JOIN conversions c ON c.seq = s.seq
GROUP BY s.step
ORDER BY s.step;
