CREATE FUNCTION ceiling_of() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 1000 $$;
CREATE TABLE t (
    id int PRIMARY KEY,
    n int,
    m int,
    CONSTRAINT n_below CHECK (n < ceiling_of()),
    CONSTRAINT m_below CHECK (m < ceiling_of() * 2),
    CONSTRAINT m_positive CHECK (m > 0)
);
COMMENT ON CONSTRAINT n_below ON t IS 'under the ceiling';
INSERT INTO t VALUES (1, 5, 6);
