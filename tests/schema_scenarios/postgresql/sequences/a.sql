CREATE SEQUENCE s_changes;
CREATE SEQUENCE s_goes START 10;
CREATE SEQUENCE s_type AS integer;
CREATE SEQUENCE s_widens AS integer MAXVALUE 1000;
SELECT nextval('s_widens');
