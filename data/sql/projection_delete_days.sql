-- projection_delete_days: drop the daily aggregates of every day the batch touches (temp table
-- `touched_days`, projection_touched_days); projection_insert_days recomputes them in the same transaction.
DELETE FROM daily_counts WHERE day IN (SELECT day FROM touched_days)
