CREATE TABLE new_name (id int PRIMARY KEY, a int);
CREATE TABLE keeps (id int PRIMARY KEY, other int, new_column text);
