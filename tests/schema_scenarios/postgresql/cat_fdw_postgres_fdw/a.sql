CREATE EXTENSION postgres_fdw;
CREATE SCHEMA app;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'a.example', dbname 'x');
CREATE USER MAPPING FOR dbci_rt_user SERVER remote
  OPTIONS ("user" 'alice', password 'correct horse battery staple');
