-- roi_holdout: the leads registered in [$since, $until) within the filters, split into the holdout
-- group (no automated follow-up) and the rest, and how many of each converted. The split is
-- domain.stats.in_holdout: the first 8 bytes of sha256('<salt>:<lead id>') as a fraction below $share.
-- Parameters: $since, $until, $team_id, $user_id, $business_type, $share, $salt.
WITH cohort AS (
    SELECT lead_id
    FROM events
    WHERE type = 'lead.registered' AND lead_id IS NOT NULL
      AND time >= $since AND time < $until
      AND (CAST($team_id AS INTEGER) IS NULL OR team_id = $team_id)
      AND (CAST($user_id AS INTEGER) IS NULL OR user_id = $user_id)
      AND (CAST($business_type AS VARCHAR) IS NULL OR business_type = $business_type)
    GROUP BY lead_id
),
grouped AS (
    SELECT c.lead_id,
           CAST(('0x' || substr(sha256($salt || ':' || CAST(c.lead_id AS VARCHAR)), 1, 16)) AS UBIGINT)
               / 18446744073709551616.0 < $share AS holdout,
           EXISTS (SELECT 1 FROM events e WHERE e.lead_id = c.lead_id AND e.type = 'customer.converted') AS converted
    FROM cohort c
)
SELECT holdout, count(*) AS leads, count(*) FILTER (WHERE converted) AS converted
FROM grouped
GROUP BY holdout
ORDER BY holdout;
