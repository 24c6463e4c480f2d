CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TYPE feeling AS ENUM ('happy', 'sad', 'calm');
CREATE DOMAIN feeling_d AS feeling;
CREATE TABLE t (
    id int PRIMARY KEY,
    m feeling,
    f mood,
    d feeling_d,
    many feeling[]
);
