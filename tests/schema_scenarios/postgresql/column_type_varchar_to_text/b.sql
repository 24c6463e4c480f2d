CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, code varchar(3), note varchar(200));
