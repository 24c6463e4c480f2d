-- safe: the key takes over an index built CONCURRENTLY
SET lock_timeout = '5s';
SET statement_timeout = '60s';
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;
