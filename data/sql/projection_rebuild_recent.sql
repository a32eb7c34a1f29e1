-- projection_rebuild_recent: recent_events (schema.sql) rebuilt from every fact: the newest 50 of each
-- owner (a team and owner pair), by time then seq. After a snapshot load, and once for a replica
-- written before the table existed. 50 is RECENT_DEPTH in data/duckdb_replica.py.
DELETE FROM recent_events;

INSERT INTO recent_events
SELECT e.seq, e.type, e.time, e.lead_id, e.step, e.label, e.user_id, e.team_id
FROM (SELECT unnest(max_by({'seq': seq, 'type': type, 'time': time, 'lead_id': lead_id, 'step': step,
                            'label': label, 'user_id': user_id, 'team_id': team_id}, (time, seq), 50)) AS e
      FROM events
      WHERE lead_id IS NOT NULL
      GROUP BY team_id, user_id)
