CREATE TABLE t (id int PRIMARY KEY);
CREATE TABLE public.keeps (id int PRIMARY KEY);
