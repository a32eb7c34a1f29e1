-- export_events: the underlying event rows behind the analytics pages (the pages' filters, on the event's own
-- time; seq, time, type, lead_id, user_id, team_id, business_type, step, template_id, template_version,
-- variant, label, customer_id, revenue, volume) as CSV lines, formatted by DuckDB so
-- that no row passes through Python one by one. Each line is the UTF-8 bytes csv.writer would write for the
-- row after services.exports.neutralise: a text cell starting with = + - @ tab CR or LF gets a leading
-- single quote, a cell holding , " CR or LF is quoted (inner " doubled), NULL is empty, numbers print as
-- Python prints them (DuckDB's shortest double repr is Python's repr), lines end with CRLF.
-- The first statements define per-connection helpers; {order_by} and {direction} are replaced by the caller
-- with a column from its allow-list and ASC/DESC; every value is a bound parameter.
-- strpos is measurably cheaper than contains here.
CREATE OR REPLACE TEMP MACRO csv_plain(v) AS
    strpos(v, ',') = 0 AND strpos(v, '"') = 0 AND strpos(v, chr(13)) = 0 AND strpos(v, chr(10)) = 0;
CREATE OR REPLACE TEMP MACRO csv_quoted(v) AS
    CASE WHEN csv_plain(v) THEN v ELSE '"' || replace(v, '"', '""') || '"' END;
-- Every first character that needs a quote is below 'A' (65): the common cell takes the first branch.
CREATE OR REPLACE TEMP MACRO csv_text(v) AS
    CASE WHEN v IS NULL THEN ''
         WHEN ord(v) >= 65 AND csv_plain(v) THEN v
         ELSE csv_quoted(CASE WHEN ord(v) IN (61, 43, 45, 64, 9, 13, 10) THEN '''' || v ELSE v END) END;
-- repr(float), which DuckDB's cast matches except that it prints a NaN with the sign bit set as '-nan'.
CREATE OR REPLACE TEMP MACRO csv_double(d) AS CASE WHEN isnan(d) THEN 'nan' ELSE CAST(d AS VARCHAR) END;
-- str(datetime): microseconds in six digits, left out when they are zero.
CREATE OR REPLACE TEMP MACRO csv_time(t) AS
    CASE WHEN t = date_trunc('second', t) THEN strftime(t, '%Y-%m-%d %H:%M:%S')
         ELSE strftime(t, '%Y-%m-%d %H:%M:%S.%f') END;
SELECT encode(concat(seq, ',', csv_time(time), ',', csv_text(type), ',', lead_id, ',', user_id, ',', team_id, ',',
                     csv_text(business_type), ',', csv_text(step), ',', csv_text(template_id), ',', template_version, ',',
                     csv_text(variant), ',', csv_text(label), ',', customer_id, ',', csv_double(revenue), ',', csv_double(volume),
                     chr(13), chr(10))) AS line
FROM events
WHERE time >= $since AND time < $until
  AND (CAST($team_id AS INTEGER) IS NULL OR team_id = $team_id)
  AND (CAST($user_id AS INTEGER) IS NULL OR user_id = $user_id)
  AND (CAST($business_type AS VARCHAR) IS NULL OR business_type = $business_type)
  AND (CAST($step AS VARCHAR) IS NULL OR step = $step)
  AND (CAST($template_id AS VARCHAR) IS NULL OR template_id = $template_id)
ORDER BY {order_by} {direction}, seq;
