-- Comments on the indexes behind primary key, unique and exclusion constraints (COMMENT
-- ON INDEX): changed, added, removed, on a new table, on a constraint that is remade.
CREATE TABLE t1 (id integer PRIMARY KEY, u integer UNIQUE);
COMMENT ON INDEX t1_pkey IS 'old';
CREATE TABLE t2 (id integer PRIMARY KEY, u integer CONSTRAINT t2_u UNIQUE);
COMMENT ON INDEX t2_u IS 'goes';
CREATE TABLE t5 (a integer, b integer, CONSTRAINT t5_ab UNIQUE (a));
COMMENT ON INDEX t5_ab IS 'remade';
