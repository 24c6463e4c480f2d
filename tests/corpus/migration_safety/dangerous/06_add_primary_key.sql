-- expect: DB207
-- why: the primary key's index is built under ACCESS EXCLUSIVE
ALTER TABLE events ADD PRIMARY KEY (id);
