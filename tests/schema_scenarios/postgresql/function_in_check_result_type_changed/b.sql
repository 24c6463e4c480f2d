CREATE FUNCTION ceiling_of() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 2000::bigint $$;
CREATE TABLE t (
    id int PRIMARY KEY,
    n int,
    m int,
    CONSTRAINT n_below CHECK (n < ceiling_of()),
    CONSTRAINT m_below CHECK (m < ceiling_of() * 3),
    CONSTRAINT m_positive CHECK (m > 0)
);
COMMENT ON CONSTRAINT n_below ON t IS 'under the ceiling';
