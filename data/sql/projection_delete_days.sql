-- projection_delete_days: drop the daily aggregates of the days $1 (a DATE list); projection_insert_days
-- recomputes them in the same transaction (a replica rebuilt in bulk, bench/replica_log.py).
DELETE FROM daily_counts WHERE day IN (SELECT unnest(CAST($1 AS DATE[])))
