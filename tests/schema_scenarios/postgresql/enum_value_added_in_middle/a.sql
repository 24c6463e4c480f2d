CREATE TYPE size AS ENUM ('small', 'large');
CREATE TABLE t (id int PRIMARY KEY, s size);
