CREATE TABLE existing (id int PRIMARY KEY);
-- Tables sort before functions, and these before the functions they use.
CREATE TABLE prefixes (p text);
-- Reads a table (unrecorded, in a string body): that table comes first.
CREATE FUNCTION zz_next_code() RETURNS text LANGUAGE sql
    AS $$ SELECT coalesce(max(p), 'A') || '-1' FROM prefixes $$;
CREATE FUNCTION zz_is_code(c text) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT c LIKE 'A-%' $$;
CREATE FUNCTION zz_initial() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
CREATE TABLE a_item (
    id int PRIMARY KEY,
    code text NOT NULL DEFAULT zz_next_code() CHECK (zz_is_code(code)),
    twice int GENERATED ALWAYS AS (id * zz_initial() * 2) STORED
);
-- A new column on an existing table whose default calls a new function.
ALTER TABLE existing ADD COLUMN code text NOT NULL DEFAULT zz_next_code();
ALTER TABLE existing ADD CONSTRAINT existing_code CHECK (zz_is_code(code));
-- A function whose body (SQL-standard) reads the new table comes after it.
CREATE FUNCTION aa_count_items() RETURNS bigint LANGUAGE sql
    BEGIN ATOMIC SELECT count(*) FROM a_item; END;
