-- Typed tables (CREATE TABLE … OF type): one keeps its type and gets column options,
-- one becomes typed, one stops being typed, one follows its type's new attribute; one
-- goes with its type, and a new one comes with its new type.
CREATE TYPE person_type AS (id integer, name text);
CREATE TABLE persons OF person_type;
CREATE TABLE plain (id integer, name text);
CREATE TABLE untyped_later OF person_type (id WITH OPTIONS NOT NULL);
CREATE TYPE grow AS (a integer);
CREATE TABLE grown OF grow (a WITH OPTIONS DEFAULT 1);
CREATE TYPE old_type AS (v integer);
CREATE TABLE old_table OF old_type;
