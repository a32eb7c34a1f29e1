-- projection_delete_days: drop the daily aggregates of every day the batch touches ($1, a DATE list);
-- projection_insert_days recomputes them in the same transaction.
DELETE FROM daily_counts WHERE day IN (SELECT unnest(CAST($1 AS DATE[])))
