CREATE TABLE old_name (id int PRIMARY KEY, a int);
CREATE TABLE keeps (id int PRIMARY KEY, old_column text, other int);
