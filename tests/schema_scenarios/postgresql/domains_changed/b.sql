CREATE DOMAIN price AS numeric(10, 2) DEFAULT 1;
CREATE DOMAIN code AS text;
CREATE DOMAIN positive AS integer CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE DOMAIN required AS text NOT NULL;
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE t (id int PRIMARY KEY, p price, c code, n positive, r required, e email);
