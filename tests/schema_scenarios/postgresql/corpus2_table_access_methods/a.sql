-- Table access methods (CREATE TABLE … USING, materialized views too): a table and a
-- materialized view move to another method and back to heap, new ones use a new method
-- (created first), and a method goes with the table that used it (dropped first).
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
CREATE ACCESS METHOD heap_gone TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE t_heap (a integer);
INSERT INTO t_heap VALUES (1), (2);
CREATE TABLE t_heap2 (a integer) USING heap2;
INSERT INTO t_heap2 VALUES (3);
CREATE MATERIALIZED VIEW mv AS SELECT a FROM t_heap;
CREATE MATERIALIZED VIEW mv2 USING heap2 AS SELECT a FROM t_heap2;
CREATE TABLE t_gone (a integer) USING heap_gone;
