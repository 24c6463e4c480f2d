CREATE TABLE t (id int PRIMARY KEY, qty integer NOT NULL DEFAULT 1, price numeric(8, 2));
