CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE MATERIALIZED VIEW m_changes AS SELECT id, a, a * 2 AS doubled FROM t WHERE a > 0;
CREATE UNIQUE INDEX m_changes_id ON m_changes (id);
CREATE INDEX m_changes_a ON m_changes (a);
CREATE MATERIALIZED VIEW m_new AS SELECT max(a) AS top FROM t;
CREATE INDEX m_new_top ON m_new (top);
CREATE MATERIALIZED VIEW m_index AS SELECT id, a FROM t;
CREATE INDEX m_index_new ON m_index (id, a);
