CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TYPE feeling AS ENUM ('happy', 'sad', 'calm');
CREATE DOMAIN feeling_d AS feeling;
CREATE TABLE t (
    id int PRIMARY KEY,
    m mood,
    f feeling,
    d feeling,
    many mood[]
);
INSERT INTO t VALUES (1, 'happy', 'sad', 'calm', '{happy,sad}');
