CREATE SCHEMA app;
CREATE FOREIGN DATA WRAPPER w OPTIONS (debug 'true', mode 'a');
CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'old.example', port '5432', dbname 'x');
CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS ("user" 'reader', password 'hunter2-a');
CREATE FOREIGN TABLE app.ft (id integer) SERVER s OPTIONS (table_name 'things', fetch 'a');
CREATE VIEW app.v AS SELECT id FROM app.ft;
