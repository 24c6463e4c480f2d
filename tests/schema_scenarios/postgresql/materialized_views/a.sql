CREATE TABLE t (id int PRIMARY KEY, a int);
INSERT INTO t VALUES (1, 1), (2, 2);
CREATE MATERIALIZED VIEW m_changes AS SELECT id, a FROM t;
CREATE UNIQUE INDEX m_changes_id ON m_changes (id);
CREATE INDEX m_changes_a ON m_changes (a);
CREATE MATERIALIZED VIEW m_goes AS SELECT id FROM t;
CREATE INDEX m_goes_id ON m_goes (id);
CREATE MATERIALIZED VIEW m_index AS SELECT id, a FROM t;
CREATE INDEX m_index_old ON m_index (a);
