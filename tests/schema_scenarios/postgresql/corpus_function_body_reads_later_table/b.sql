CREATE TABLE keep (id int PRIMARY KEY);
CREATE FUNCTION next_id() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1';
-- t's default calls next_id(), so t is created after the routines; counted() reads t
-- in a string body, which PostgreSQL checks at creation unless check_function_bodies is off
CREATE TABLE t (id int DEFAULT next_id());
CREATE FUNCTION counted() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM t';
