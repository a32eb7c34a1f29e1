-- roi_monthly: per calendar month and follow-up step, the automated sends made that month and the
-- conversions credited to the step (the lead's last send before it converted) in that month, with the
-- revenue of the converted customer's first 90 days: order revenue where events carry any, else the
-- estimated volume of the conversion (schema.sql send_rollup holds the credit and the orders).
-- Parameters: $since, $until, $team_id, $user_id, $business_type, $step, $template_id (NULL = any).
WITH chosen AS (  -- every send within the filters: a conversion in the period may follow an older send
    SELECT * FROM chosen_sends(TIMESTAMP '-infinity', TIMESTAMP 'infinity', $team_id, $user_id, $business_type,
                               $step, $template_id)
),
converted AS (
    SELECT step, lead_id, min(converted_at) AS converted_at, arg_min_null(orders, converted_at) AS orders,
           arg_min_null(volume, converted_at) AS volume
    FROM chosen WHERE converted_at IS NOT NULL
    GROUP BY step, lead_id
),
facts AS (
    SELECT CAST(date_trunc('month', sent_at) AS DATE) AS month, step, 1 AS sent, 0 AS converted,
           0.0 AS revenue, 0 AS estimated
    FROM chosen WHERE sent_at >= $since AND sent_at < $until
    UNION ALL
    SELECT CAST(date_trunc('month', converted_at) AS DATE), step, 0, 1,
           coalesce(orders, volume, 0.0), CASE WHEN orders IS NULL THEN 1 ELSE 0 END
    FROM converted
    WHERE converted_at >= $since AND converted_at < $until
)
SELECT month, step, sum(sent) AS sent, sum(converted) AS converted, sum(revenue) AS revenue,
       sum(estimated) AS estimated_conversions
FROM facts
GROUP BY month, step
ORDER BY month, step;
