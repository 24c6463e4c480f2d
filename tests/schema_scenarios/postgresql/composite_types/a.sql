CREATE TYPE address AS (street text, city text, zip integer);
CREATE TYPE point3 AS (x integer, y integer);
CREATE TYPE gone AS (a int);
CREATE TABLE uses_point (id int PRIMARY KEY, p point3, ps point3[]);
INSERT INTO uses_point VALUES (1, ROW(1, 2), ARRAY[ROW(3, 4)::point3]);
