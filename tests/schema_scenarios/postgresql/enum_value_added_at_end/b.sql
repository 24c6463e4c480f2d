CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');
CREATE TABLE t (id int PRIMARY KEY, m mood DEFAULT 'ok');
