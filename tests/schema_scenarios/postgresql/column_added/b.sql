CREATE TABLE t (id int PRIMARY KEY, a text, b int NOT NULL DEFAULT 0, c text, d numeric(10, 2));
