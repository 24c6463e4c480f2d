CREATE TYPE address AS (street text, city varchar(100), zip text, country text);
CREATE TYPE point3 AS (x integer, y integer, z integer);
CREATE TYPE added AS (b int, c text COLLATE "C");
CREATE TABLE uses_point (id int PRIMARY KEY, p point3, ps point3[]);
