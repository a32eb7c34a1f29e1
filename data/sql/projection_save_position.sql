-- projection_save_position: where the projection stands; runs in the transaction that wrote the rows.
-- $1 = position name ('oltp_events'), $2 = highest seq with nothing missing below, $3 = now (UTC).
INSERT INTO projection_position (name, seq, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at
