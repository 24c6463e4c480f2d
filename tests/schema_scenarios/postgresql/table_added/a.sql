CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
