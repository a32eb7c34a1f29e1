-- roi_holdout: the leads registered in [$since, $until) within the filters, split into the holdout
-- group (no automated follow-up) and the rest, and how many of each converted. The split is
-- domain.stats.in_holdout: the first 8 bytes of sha256('<salt>:<lead id>') as a fraction below $share.
-- Parameters: $since, $until, $team_id, $user_id, $business_type, $share, $salt.
WITH grouped AS (  -- funnel_cohort is a macro of schema.sql
    SELECT CAST(('0x' || substr(sha256($salt || ':' || CAST(lead_id AS VARCHAR)), 1, 16)) AS UBIGINT)
               / 18446744073709551616.0 < $share AS holdout,
           converted
    FROM funnel_cohort($since, $until, $team_id, $user_id, $business_type, NULL, NULL)
)
SELECT holdout, count(*) AS leads, count(*) FILTER (WHERE converted) AS converted
FROM grouped
GROUP BY holdout
ORDER BY holdout;
