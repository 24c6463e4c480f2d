CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE kept (id int PRIMARY KEY, parent_id int);
