CREATE TYPE new_status AS ENUM ('x', 'y');
CREATE TABLE t (id int PRIMARY KEY, n new_status DEFAULT 'x');
