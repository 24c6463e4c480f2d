CREATE TABLE t (id int PRIMARY KEY, a int, b text);
CREATE VIEW v_changes AS SELECT id, a, b FROM t WHERE b IS NOT NULL;
CREATE VIEW v_new AS SELECT count(*) AS n FROM t;
CREATE VIEW v_options WITH (security_barrier) AS SELECT id, a FROM t WHERE a > 0
    WITH CASCADED CHECK OPTION;
COMMENT ON VIEW v_changes IS 'kept across the recreation';
COMMENT ON COLUMN v_changes.id IS 'the id';
