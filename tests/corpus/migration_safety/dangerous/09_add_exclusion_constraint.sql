-- expect: DB209
-- why: an exclusion constraint builds its index under ACCESS EXCLUSIVE
ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);
