CREATE FUNCTION first_code() RETURNS integer LANGUAGE sql AS $$ SELECT 100 $$;
CREATE FUNCTION label() RETURNS text LANGUAGE sql AS $$ SELECT 'new' $$;
CREATE TABLE t (
    id int PRIMARY KEY,
    code bigint NOT NULL DEFAULT first_code() + 1,
    status varchar(20) DEFAULT label(),
    other int DEFAULT 7
);
COMMENT ON COLUMN t.code IS 'numbered';
INSERT INTO t (id) VALUES (1);
