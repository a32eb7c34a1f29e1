-- roi_holdout: the leads registered in [$since, $until) within the filters, split into the holdout
-- group (no automated follow-up) and the rest, and how many of each converted. The split is
-- domain.stats.in_holdout: the first 8 bytes of sha256('<salt>:<lead id>') as a fraction below $share.
-- Parameters: $since, $until, $team_id, $user_id, $business_type, $share, $salt.
WITH cohort AS (  -- registered_cohort is a macro of schema.sql
    SELECT lead_id
    FROM registered_cohort($since, $until, $team_id, $user_id, $business_type)
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
