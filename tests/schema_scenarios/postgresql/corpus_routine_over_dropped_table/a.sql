CREATE TABLE keep (id int PRIMARY KEY);
CREATE TABLE hobbies (name text, person text);
-- take and return the dropped table's row type
CREATE FUNCTION hobby(name text, person text) RETURNS hobbies LANGUAGE sql
  AS $$ SELECT name, person $$;
CREATE FUNCTION hobby_name(h hobbies) RETURNS text LANGUAGE sql AS $$ SELECT h.name $$;
CREATE AGGREGATE hobby_names(hobbies) (sfunc = array_append, stype = hobbies[], initcond = '{}');
-- a dropped table whose default calls a dropped function
CREATE FUNCTION next_id() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TABLE numbered (id int DEFAULT next_id());
CREATE FUNCTION numbered_ids(n numbered) RETURNS int LANGUAGE sql AS $$ SELECT n.id $$;
