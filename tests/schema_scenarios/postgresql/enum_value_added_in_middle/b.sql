CREATE TYPE size AS ENUM ('tiny', 'small', 'medium', 'large', 'huge');
CREATE TABLE t (id int PRIMARY KEY, s size);
