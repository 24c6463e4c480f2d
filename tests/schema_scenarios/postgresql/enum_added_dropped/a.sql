CREATE TYPE old_status AS ENUM ('a', 'b');
CREATE TABLE t (id int PRIMARY KEY, s old_status);
