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

-- Per-lead rollup of the funnel: one row per lead the fact table names, recomputed from `events` for
-- every lead a batch touches (projection_refresh_leads, same transaction), so the funnel and ROI pages
-- read one row per lead instead of joining the fact table. A lead's cohort is its first registration:
-- its time and the owner, team and business type that registration was projected with.
CREATE TABLE IF NOT EXISTS lead_rollup (
    lead_id          BIGINT NOT NULL,
    registered_at    TIMESTAMP,           -- the lead's first lead.registered; NULL if none is logged
    user_id          INTEGER,             -- owner, team and business type of that registration
    team_id          INTEGER,
    business_type    VARCHAR,
    sampled          BOOLEAN NOT NULL,    -- any lead.sample_delivered
    t3_sent          BOOLEAN NOT NULL,    -- any followup.sent of step T3
    t7_sent          BOOLEAN NOT NULL,    -- any followup.sent of step T7
    replied          BOOLEAN NOT NULL,    -- any followup.replied
    positive         BOOLEAN NOT NULL,    -- any followup.replied labelled POSITIVE
    converted        BOOLEAN NOT NULL,    -- any customer.converted
    templates        VARCHAR[] NOT NULL,  -- the templates of its followup.sent events
    steps            VARCHAR[] NOT NULL   -- the steps of its followup.sent events
);

-- The leads whose rollups a batch made stale: written with the facts, cleared by the transaction that
-- refreshes their rollups (projection_refresh_leads), so a crash between the two loses no refresh.
CREATE TABLE IF NOT EXISTS rollup_pending (
    lead_id          BIGINT NOT NULL
);

-- The recent-activity feed's kept rows (cockpit_recent): the newest FEED_ROWS_KEPT facts that name a lead
-- of each (team, owner), among the facts up to the 'recent_feed' mark in projection_position; the feed
-- reads the facts above the mark from `events` (by seq, so the scan skips every row group but the
-- newest). Taken in with the rollups, off the path to the screens (projection_feed_take_in), because a
-- top-N over all facts reads every row group when facts arrive out of time order.
CREATE TABLE IF NOT EXISTS recent_events (
    seq              BIGINT NOT NULL,     -- as events.seq
    type             VARCHAR NOT NULL,
    time             TIMESTAMP NOT NULL,
    lead_id          BIGINT NOT NULL,
    user_id          INTEGER,
    team_id          INTEGER,
    step             VARCHAR,
    label            VARCHAR
);

-- Per-send rollup: one row per followup.sent that names a lead, with what was credited to it ("last
-- touch": the lead's events from the send until its next send; a reply that names its step goes to
-- that step's sends). Recomputed with lead_rollup for every lead a batch touches.
CREATE TABLE IF NOT EXISTS send_rollup (
    seq              BIGINT NOT NULL,     -- the send's events.seq
    lead_id          BIGINT NOT NULL,
    sent_at          TIMESTAMP NOT NULL,
    step             VARCHAR,
    template_id      VARCHAR,
    template_version INTEGER,
    variant          VARCHAR,
    user_id          INTEGER,
    team_id          INTEGER,
    business_type    VARCHAR,
    bounced          BOOLEAN NOT NULL,
    opened           BOOLEAN NOT NULL,    -- opened or clicked
    clicked          BOOLEAN NOT NULL,
    replied_at       TIMESTAMP,           -- the first reply credited to it; NULL if none
    positive         BOOLEAN NOT NULL,    -- a credited reply was labelled POSITIVE
    converted_at     TIMESTAMP,           -- the first conversion credited to it; NULL if none
    volume           DOUBLE,              -- that conversion's volume (EUR)
    orders           DOUBLE               -- order revenue of the lead in the 90 days from converted_at; NULL if none
);

-- A daily_counts group (a day and every dimension) as one number, so the projection's recount finds a
-- batch's groups with one equality instead of ten IS NOT DISTINCT FROM (NULL hashes alike). Two groups
-- sharing a hash are both recounted, which is still exact: the recount reads the events, not the key.
CREATE OR REPLACE MACRO daily_group_key(day, type, user_id, team_id, business_type, step, template_id,
                                        template_version, variant, label) AS
    hash(day, type, user_id, team_id, business_type, step, template_id, template_version, variant, label);

-- The groups the facts with these seqs fall in (projection_refresh_groups): read back from `events`
-- after the batch's insert, typed; the seq range lets the scan skip every row group but the newest.
-- Day and type come along as join keys: the recount's scan then filters on them before it hashes, so a
-- reply's recount reads that day's replies, not the millions of other events a busy day may hold.
CREATE OR REPLACE MACRO batch_groups(seqs) AS TABLE
    SELECT DISTINCT day, type, daily_group_key(day, type, user_id, team_id, business_type, step, template_id,
                                         template_version, variant, label) AS group_key
    FROM events
    WHERE seq BETWEEN list_min(seqs) AND list_max(seqs) AND list_contains(seqs, seq);

-- The filters every analytics query shares: a row's team, owner and business type against the chosen
-- ones (NULL = any). Used by the two table macros below.
CREATE OR REPLACE MACRO in_filters(row_team, row_user, row_kind, team, member, kind) AS
    (CAST(team AS INTEGER) IS NULL OR row_team = team)
    AND (CAST(member AS INTEGER) IS NULL OR row_user = member)
    AND (CAST(kind AS VARCHAR) IS NULL OR row_kind = kind);

-- The cohort of the analytics queries (funnel_stages, funnel_cohorts, roi_holdout, drill_funnel), written
-- once: the leads whose first registration falls in [since, until) within the filters (NULL = any),
-- narrowed to leads sent `sent_template` or `sent_step` when given. A table macro is expanded into the
-- calling query, so it plans as if inlined. Parameter names differ from the column names they are
-- compared with, or they would shadow them.
CREATE OR REPLACE MACRO funnel_cohort(since, until, team, member, kind, sent_template, sent_step) AS TABLE
    SELECT *
    FROM lead_rollup
    WHERE registered_at >= since AND registered_at < until
      AND in_filters(team_id, user_id, business_type, team, member, kind)
      AND (CAST(sent_template AS VARCHAR) IS NULL OR list_contains(templates, sent_template))
      AND (CAST(sent_step AS VARCHAR) IS NULL OR list_contains(steps, sent_step));

-- The sends of the analytics queries (funnel_steps, templates_compare, roi_monthly, drill_templates),
-- written once: the follow-ups sent in [since, until) within the filters (NULL = any), with what was
-- credited to each (send_rollup).
CREATE OR REPLACE MACRO chosen_sends(since, until, team, member, kind, sent_step, sent_template) AS TABLE
    SELECT *
    FROM send_rollup
    WHERE sent_at >= since AND sent_at < until
      AND in_filters(team_id, user_id, business_type, team, member, kind)
      AND (CAST(sent_step AS VARCHAR) IS NULL OR step = sent_step)
      AND (CAST(sent_template AS VARCHAR) IS NULL OR template_id = sent_template);
