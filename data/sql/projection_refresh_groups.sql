-- projection_refresh_groups: recompute the daily aggregates of the groups (a day and every dimension)
-- the registered batch `batch` touches, straight from `events` (the batch is in it already), so
-- daily_counts stays equal to a GROUP BY of events (idempotent). A batch of one event touches one
-- group: its recount reads that group's events (found by their day), not the whole day's. The casts: a column of the batch's frame holds
-- Python objects, and a value DuckDB cannot infer a type from must not decide the comparison's type. Two
-- statements and no temporary table: each statement costs a one-event batch some milliseconds.
DELETE FROM daily_counts d
USING (SELECT DISTINCT CAST(time AS DATE) AS day, CAST(type AS VARCHAR) AS type, CAST(user_id AS INTEGER) AS user_id,
              CAST(team_id AS INTEGER) AS team_id, CAST(business_type AS VARCHAR) AS business_type,
              CAST(step AS VARCHAR) AS step, CAST(template_id AS VARCHAR) AS template_id,
              CAST(template_version AS INTEGER) AS template_version, CAST(variant AS VARCHAR) AS variant,
              CAST(label AS VARCHAR) AS label FROM batch) g
WHERE d.day = g.day AND d.type = g.type AND d.user_id IS NOT DISTINCT FROM g.user_id
  AND d.team_id IS NOT DISTINCT FROM g.team_id AND d.business_type IS NOT DISTINCT FROM g.business_type
  AND d.step IS NOT DISTINCT FROM g.step AND d.template_id IS NOT DISTINCT FROM g.template_id
  AND d.template_version IS NOT DISTINCT FROM g.template_version AND d.variant IS NOT DISTINCT FROM g.variant
  AND d.label IS NOT DISTINCT FROM g.label;

INSERT INTO daily_counts
SELECT e.day, e.type, e.user_id, e.team_id, e.business_type, e.step, e.template_id, e.template_version, e.variant,
       e.label, COUNT(*) AS n, COUNT(DISTINCT e.lead_id) AS leads, SUM(e.revenue) AS revenue, SUM(e.volume) AS volume
FROM events e
SEMI JOIN (SELECT DISTINCT CAST(time AS DATE) AS day, CAST(type AS VARCHAR) AS type, CAST(user_id AS INTEGER) AS user_id,
              CAST(team_id AS INTEGER) AS team_id, CAST(business_type AS VARCHAR) AS business_type,
              CAST(step AS VARCHAR) AS step, CAST(template_id AS VARCHAR) AS template_id,
              CAST(template_version AS INTEGER) AS template_version, CAST(variant AS VARCHAR) AS variant,
              CAST(label AS VARCHAR) AS label FROM batch) g
  ON e.day = g.day AND e.type = g.type AND e.user_id IS NOT DISTINCT FROM g.user_id
 AND e.team_id IS NOT DISTINCT FROM g.team_id AND e.business_type IS NOT DISTINCT FROM g.business_type
 AND e.step IS NOT DISTINCT FROM g.step AND e.template_id IS NOT DISTINCT FROM g.template_id
 AND e.template_version IS NOT DISTINCT FROM g.template_version AND e.variant IS NOT DISTINCT FROM g.variant
 AND e.label IS NOT DISTINCT FROM g.label
WHERE e.day IN (SELECT CAST(time AS DATE) FROM batch)
GROUP BY ALL
