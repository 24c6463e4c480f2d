CREATE EXTENSION citext;
CREATE TABLE t (id int PRIMARY KEY, email citext UNIQUE);
CREATE INDEX t_email ON t (lower(email::text));
