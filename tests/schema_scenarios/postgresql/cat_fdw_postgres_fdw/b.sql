CREATE EXTENSION postgres_fdw;
CREATE SCHEMA app;
-- The extension's wrapper is its own (not listed); its validator checks the options.
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host 'b.example', dbname 'x', fetch_size '500');
-- The password (the same on both sides) is never read: the mapping is altered, keeping it.
CREATE USER MAPPING FOR dbci_rt_user SERVER remote
  OPTIONS ("user" 'bob', password 'correct horse battery staple');
CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS ("user" 'guest');
CREATE FOREIGN TABLE app.remote_things (id integer, name text)
  SERVER remote OPTIONS (schema_name 'public', table_name 'things');
