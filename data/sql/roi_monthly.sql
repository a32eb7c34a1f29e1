-- roi_monthly: per calendar month and follow-up step, the automated sends made that month and the
-- conversions credited to the step (the lead's last send before it converted) in that month, with the
-- revenue of the converted customer's first 90 days: order revenue where events carry any, else the
-- estimated volume of the conversion. Parameters: $since, $until, $team_id, $user_id, $business_type,
-- $step, $template_id (NULL = any).
WITH sends AS (
    SELECT seq, lead_id, step, template_id, team_id, user_id, business_type, time AS sent_at,
           lead(time) OVER (PARTITION BY lead_id ORDER BY time, seq) AS next_sent_at
    FROM events
    WHERE type = 'followup.sent' AND lead_id IS NOT NULL
),
chosen AS (
    SELECT * FROM sends
    WHERE (CAST($team_id AS INTEGER) IS NULL OR team_id = $team_id)
      AND (CAST($user_id AS INTEGER) IS NULL OR user_id = $user_id)
      AND (CAST($business_type AS VARCHAR) IS NULL OR business_type = $business_type)
      AND (CAST($step AS VARCHAR) IS NULL OR step = $step)
      AND (CAST($template_id AS VARCHAR) IS NULL OR template_id = $template_id)
),
converted AS (
    SELECT s.step, c.lead_id, min(c.time) AS converted_at, any_value(c.volume) AS volume
    FROM chosen s JOIN events c ON c.type = 'customer.converted' AND c.lead_id = s.lead_id
     AND c.time >= s.sent_at AND (s.next_sent_at IS NULL OR c.time < s.next_sent_at)
    GROUP BY s.step, c.lead_id
),
revenue AS (
    SELECT v.lead_id, sum(o.revenue) AS orders
    FROM converted v JOIN events o ON o.lead_id = v.lead_id AND o.revenue IS NOT NULL
     AND o.time >= v.converted_at AND o.time < v.converted_at + INTERVAL 90 DAY
    GROUP BY v.lead_id
),
facts AS (
    SELECT CAST(date_trunc('month', sent_at) AS DATE) AS month, step, 1 AS sent, 0 AS converted,
           0.0 AS revenue, 0 AS estimated
    FROM chosen WHERE sent_at >= $since AND sent_at < $until
    UNION ALL
    SELECT CAST(date_trunc('month', v.converted_at) AS DATE), v.step, 0, 1,
           coalesce(r.orders, v.volume, 0.0), CASE WHEN r.orders IS NULL THEN 1 ELSE 0 END
    FROM converted v LEFT JOIN revenue r ON r.lead_id = v.lead_id
    WHERE v.converted_at >= $since AND v.converted_at < $until
)
SELECT month, step, sum(sent) AS sent, sum(converted) AS converted, sum(revenue) AS revenue,
       sum(estimated) AS estimated_conversions
FROM facts
GROUP BY month, step
ORDER BY month, step;
