-- DuckDB analytics schema (DESIGN section 6). Created by the analytics projection
-- (pipelines/analytics_projection.py) in every process's replica file; rebuilt from the OLTP event log.
-- Column names are stable: pages and read models query them directly. Times are UTC.
-- Statements are separated by ";" at the end of a line; data/named_sql.py runs them in order.

-- One row per consumed event of the OLTP log (table `events`), enriched with the lead's facts as
-- they were when the projection read the event. Rows are updated only to link a registration from
-- another system to the lead the cockpit created for it (projection_link_registrations); a rebuild
-- recreates them.
CREATE TABLE IF NOT EXISTS events (
    seq              BIGINT PRIMARY KEY,  -- the OLTP log's sequence number (events.seq): unique, the dedupe key
    event_id         VARCHAR NOT NULL,    -- CloudEvents id
    source           VARCHAR NOT NULL,    -- CloudEvents source
    type             VARCHAR NOT NULL,    -- short type name without prefix and version, e.g. 'followup.sent', 'customer.converted'
    time             TIMESTAMP NOT NULL,  -- CloudEvents time (UTC, naive), when the fact happened
    day              DATE NOT NULL,       -- CAST(time AS DATE): the UTC day the fact counts for
    lead_id          BIGINT,              -- data.lead_id, else the number in the subject ('lead/42' or '42'); NULL for batch events
    user_id          INTEGER,             -- the lead's owner (users.id) when the event was projected; NULL if none
    team_id          INTEGER,             -- the lead's team (teams.id) when the event was projected; NULL if none
    business_type    VARCHAR,             -- the lead's business type: RESTAURANT, HOTEL, CANTEEN, CATERING, OTHER
    step             VARCHAR,             -- follow-up step 'T3' or 'T7' (followup.* events); NULL otherwise
    template_id      VARCHAR,             -- the template the event names (data.template_id, else data.template: name or kind, e.g. 'SAMPLE_REQUEST')
    template_version INTEGER,             -- data.template_version when the producer knows it
    variant          VARCHAR,             -- A/B variant letter (data.variant) when known
    label            VARCHAR,             -- reply classification for followup.replied: POSITIVE, NEUTRAL, NEGATIVE, OUT_OF_OFFICE, UNSUBSCRIBE
    customer_id      BIGINT,              -- data.customer_id (customer.converted)
    revenue          DOUBLE,              -- data.revenue in EUR when the event carries one; NULL otherwise
    volume           DOUBLE               -- customer.converted: data.volume, else the lead's estimated_volume (EUR); NULL otherwise
);

-- Where the projection stands in the OLTP log. Written in the same DuckDB transaction as the rows.
CREATE TABLE IF NOT EXISTS projection_position (
    name        VARCHAR PRIMARY KEY,      -- the tailed log: 'oltp_events'
    seq         BIGINT NOT NULL,          -- every OLTP seq <= this is applied (or was a gap given up as a rolled-back insert)
    updated_at  TIMESTAMP NOT NULL        -- when the position last moved (UTC)
);

-- Daily counts by every dimension the cockpit and analytics pages filter or group on. Recomputed from
-- `events` for each day a batch touched (in the same transaction), so it always equals a GROUP BY of
-- `events`: count and sum it, never expect one row per combination.
CREATE TABLE IF NOT EXISTS daily_counts (
    day              DATE NOT NULL,       -- UTC day (events.day)
    type             VARCHAR NOT NULL,    -- short event type, as events.type
    user_id          INTEGER,             -- lead owner, as events.user_id
    team_id          INTEGER,             -- lead team, as events.team_id
    business_type    VARCHAR,             -- as events.business_type
    step             VARCHAR,             -- as events.step
    template_id      VARCHAR,             -- as events.template_id
    template_version INTEGER,             -- as events.template_version
    variant          VARCHAR,             -- as events.variant
    label            VARCHAR,             -- as events.label
    n                BIGINT NOT NULL,     -- number of events in the group
    leads            BIGINT NOT NULL,     -- number of distinct lead_id in the group (within that day)
    revenue          DOUBLE,              -- SUM(events.revenue) of the group
    volume           DOUBLE               -- SUM(events.volume) of the group
);

-- The cohort of the analytics queries (funnel_stages, funnel_cohorts, roi_holdout), written once: the
-- leads registered in [since, until) within the filters (NULL = any), each once with its first
-- registration time. A table macro is expanded into the calling query, so it plans as if inlined.
-- Parameter names differ from the column names they are compared with, or they would shadow them.
CREATE OR REPLACE MACRO registered_cohort(since, until, team, member, kind) AS TABLE
    SELECT lead_id, min(time) AS registered_at
    FROM events
    WHERE type = 'lead.registered' AND lead_id IS NOT NULL
      AND time >= since AND time < until
      AND (CAST(team AS INTEGER) IS NULL OR team_id = team)
      AND (CAST(member AS INTEGER) IS NULL OR user_id = member)
      AND (CAST(kind AS VARCHAR) IS NULL OR business_type = kind)
    GROUP BY lead_id;
