CREATE TYPE person_type AS (id integer, name text);
CREATE TABLE persons OF person_type (
    id WITH OPTIONS NOT NULL,
    name WITH OPTIONS DEFAULT ''::text NOT NULL,
    PRIMARY KEY (id)
);
CREATE TABLE plain OF person_type;
CREATE TABLE untyped_later (id integer NOT NULL, name text);
CREATE TYPE grow AS (a integer, b text);
CREATE TABLE grown OF grow (a WITH OPTIONS DEFAULT 1);
CREATE TYPE fresh AS (x integer, y text);
CREATE TABLE fresh_table OF fresh (x WITH OPTIONS PRIMARY KEY);
COMMENT ON TABLE fresh_table IS 'typed';
