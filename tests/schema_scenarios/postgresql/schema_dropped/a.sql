CREATE TABLE t (id int PRIMARY KEY);
CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('on', 'off');
CREATE DOMAIN app.small AS int CHECK (VALUE < 10);
CREATE TABLE app.item (
    id serial PRIMARY KEY,
    state app.state NOT NULL,
    size app.small,
    t_id int REFERENCES public.t
);
CREATE TABLE app.child (id int PRIMARY KEY, item_id int REFERENCES app.item);
CREATE TABLE public.keeps (id int PRIMARY KEY);
CREATE INDEX item_state ON app.item (state);
CREATE VIEW app.on_items AS SELECT id FROM app.item WHERE state = 'on';
CREATE FUNCTION app.count_items() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM app.item $$;
CREATE FUNCTION app.item_default() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
ALTER TABLE app.child ALTER COLUMN id SET DEFAULT app.item_default();
