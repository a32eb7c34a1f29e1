-- projection_refresh_groups: recompute the daily aggregates of the groups (a day and every dimension)
-- the registered batch `batch` touches, straight from `events` (the batch is in it already), so
-- daily_counts stays equal to a GROUP BY of events (idempotent). A batch of one event touches one
-- group: its recount reads that group's events (found by their day), not the whole day's.
CREATE OR REPLACE TEMP TABLE batch_groups AS
SELECT DISTINCT CAST(time AS DATE) AS day, CAST(type AS VARCHAR) AS type, CAST(user_id AS INTEGER) AS user_id,
       CAST(team_id AS INTEGER) AS team_id, CAST(business_type AS VARCHAR) AS business_type,
       CAST(step AS VARCHAR) AS step, CAST(template_id AS VARCHAR) AS template_id,
       CAST(template_version AS INTEGER) AS template_version, CAST(variant AS VARCHAR) AS variant,
       CAST(label AS VARCHAR) AS label
FROM batch;

CREATE OR REPLACE TEMP TABLE batch_recount AS
SELECT e.day, e.type, e.user_id, e.team_id, e.business_type, e.step, e.template_id, e.template_version, e.variant,
       e.label, COUNT(*) AS n, COUNT(DISTINCT e.lead_id) AS leads, SUM(e.revenue) AS revenue, SUM(e.volume) AS volume
FROM events e
SEMI JOIN batch_groups g
  ON e.day = g.day AND e.type = g.type AND e.user_id IS NOT DISTINCT FROM g.user_id
 AND e.team_id IS NOT DISTINCT FROM g.team_id AND e.business_type IS NOT DISTINCT FROM g.business_type
 AND e.step IS NOT DISTINCT FROM g.step AND e.template_id IS NOT DISTINCT FROM g.template_id
 AND e.template_version IS NOT DISTINCT FROM g.template_version AND e.variant IS NOT DISTINCT FROM g.variant
 AND e.label IS NOT DISTINCT FROM g.label
WHERE e.day IN (SELECT day FROM batch_groups)
GROUP BY ALL;

-- Every group touched has at least the batch's own events, so it is in batch_recount: the rows to
-- replace are exactly the recounted groups.
DELETE FROM daily_counts d
USING batch_recount r
WHERE d.day = r.day AND d.type = r.type AND d.user_id IS NOT DISTINCT FROM r.user_id
  AND d.team_id IS NOT DISTINCT FROM r.team_id AND d.business_type IS NOT DISTINCT FROM r.business_type
  AND d.step IS NOT DISTINCT FROM r.step AND d.template_id IS NOT DISTINCT FROM r.template_id
  AND d.template_version IS NOT DISTINCT FROM r.template_version AND d.variant IS NOT DISTINCT FROM r.variant
  AND d.label IS NOT DISTINCT FROM r.label;

INSERT INTO daily_counts SELECT * FROM batch_recount
