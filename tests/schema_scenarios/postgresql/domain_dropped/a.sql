CREATE DOMAIN amount AS integer CHECK (VALUE >= 0);
CREATE DOMAIN unused AS text;
CREATE TABLE t (id int PRIMARY KEY, a amount);
