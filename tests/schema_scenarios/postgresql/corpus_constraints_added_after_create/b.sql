CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE kept (id int PRIMARY KEY, parent_id int);
-- a foreign key with a comment on an existing table and on a new one
ALTER TABLE kept ADD CONSTRAINT kept_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id);
COMMENT ON CONSTRAINT kept_parent_fk ON kept IS 'kept references parent';
-- CREATE TABLE would mark a NOT VALID check valid, and keep one of two equal keys
CREATE TABLE t (a int, b int, c int, parent_id int);
ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID;
COMMENT ON CONSTRAINT t_a_positive ON t IS 'not checked on old rows';
ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (a);
ALTER TABLE t ADD CONSTRAINT t_a_unique UNIQUE (a);
ALTER TABLE t ADD CONSTRAINT t_bc_1 UNIQUE (b) INCLUDE (c);
ALTER TABLE t ADD CONSTRAINT t_bc_2 UNIQUE (b) INCLUDE (c);
COMMENT ON CONSTRAINT t_bc_2 ON t IS 'the second of two';
ALTER TABLE t ADD CONSTRAINT t_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id);
COMMENT ON CONSTRAINT t_parent_fk ON t IS 't references parent';
