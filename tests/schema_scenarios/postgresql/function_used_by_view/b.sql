CREATE TABLE t (id int PRIMARY KEY, price numeric NOT NULL);
CREATE FUNCTION with_tax(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS $$ SELECT p * 1.25 $$;
CREATE FUNCTION label(p numeric) RETURNS varchar LANGUAGE sql IMMUTABLE
    AS $$ SELECT p::varchar $$;
CREATE VIEW priced AS SELECT id, with_tax(price) AS gross, label(price) AS label FROM t;
CREATE VIEW cheap AS SELECT id FROM priced WHERE gross < 10;
