CREATE TABLE t (id int PRIMARY KEY, a int, b text);
CREATE VIEW v_changes AS SELECT id, a FROM t;
CREATE VIEW v_goes AS SELECT id FROM t WHERE a > 0;
CREATE VIEW v_options AS SELECT id, a FROM t WHERE a > 0;
COMMENT ON VIEW v_changes IS 'kept across the recreation';
COMMENT ON COLUMN v_changes.id IS 'the id';
