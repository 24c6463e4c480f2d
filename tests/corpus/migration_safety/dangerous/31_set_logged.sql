-- expect: DB213
-- why: SET LOGGED rewrites the table under ACCESS EXCLUSIVE
ALTER TABLE import_rows SET LOGGED;
