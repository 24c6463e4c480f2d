CREATE SCHEMA app;
-- Options dropped, set, added; the server's put in another order. Each object is altered
-- (ALTER … OPTIONS), not dropped: the user mapping keeps its password, which dbci never
-- reads (the same in both), the view on the foreign table stays.
CREATE FOREIGN DATA WRAPPER w OPTIONS (debug 'false');
CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (port '5433', host 'new.example', sslmode 'on');
CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS ("user" 'writer', password 'hunter2-a');
CREATE FOREIGN TABLE app.ft (id integer) SERVER s OPTIONS (table_name 'other things');
CREATE VIEW app.v AS SELECT id FROM app.ft;
