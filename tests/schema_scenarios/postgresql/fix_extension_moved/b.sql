CREATE SCHEMA ext;
CREATE EXTENSION citext SCHEMA ext;
CREATE TABLE t (id int PRIMARY KEY, name ext.citext);
