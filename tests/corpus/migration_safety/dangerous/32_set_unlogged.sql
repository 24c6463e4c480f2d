-- expect: DB213
-- why: SET UNLOGGED rewrites the table under ACCESS EXCLUSIVE
ALTER TABLE import_rows SET UNLOGGED;
