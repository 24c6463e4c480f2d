CREATE FUNCTION first_code() RETURNS bigint LANGUAGE sql AS $$ SELECT 100::bigint $$;
CREATE FUNCTION label() RETURNS varchar LANGUAGE sql AS $$ SELECT 'new'::varchar $$;
CREATE TABLE t (
    id int PRIMARY KEY,
    code bigint NOT NULL DEFAULT first_code() + 1,
    status varchar(20) DEFAULT label(),
    other int DEFAULT 7
);
COMMENT ON COLUMN t.code IS 'numbered';
