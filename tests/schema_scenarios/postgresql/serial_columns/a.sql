CREATE TABLE t (id int PRIMARY KEY, old_counter serial, keep bigserial);
CREATE TABLE u (id int);
CREATE SEQUENCE free_seq;
CREATE TABLE v (id int, counter bigint DEFAULT nextval('free_seq'));
CREATE TABLE w (id int, c serial);
