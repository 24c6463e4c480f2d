CREATE TABLE t (id int PRIMARY KEY, keep bigserial, new_counter smallserial);
CREATE TABLE u (id int, n serial);
CREATE SEQUENCE free_seq;
CREATE TABLE v (id int, counter bigint DEFAULT nextval('free_seq'));
ALTER SEQUENCE free_seq OWNED BY v.counter;
CREATE SEQUENCE w_c_seq AS integer;
CREATE TABLE w (id int);
