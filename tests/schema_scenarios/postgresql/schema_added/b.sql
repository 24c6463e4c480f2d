CREATE TABLE t (id int PRIMARY KEY);
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the application';
CREATE TYPE app.state AS ENUM ('on', 'off');
CREATE SEQUENCE app.counter;
CREATE TABLE app.item (
    id int PRIMARY KEY DEFAULT nextval('app.counter'),
    state app.state NOT NULL,
    t_id int REFERENCES public.t
);
CREATE INDEX item_state ON app.item (state);
CREATE VIEW app.on_items AS SELECT id FROM app.item WHERE state = 'on';
CREATE FUNCTION app.count_items() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM app.item $$;
