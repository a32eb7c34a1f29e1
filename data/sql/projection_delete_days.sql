-- projection_delete_days: drop the daily aggregates of every day the registered `batch` touches;
-- projection_insert_days recomputes them from `events` in the same transaction.
DELETE FROM daily_counts WHERE day IN (SELECT DISTINCT CAST(time AS DATE) FROM batch)
