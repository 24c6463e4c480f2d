CREATE SCHEMA app;
CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
REVOKE EXECUTE ON FUNCTION app.f() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.f() TO dbci_rt_reader;
-- Recreated (its result type changes): created again without PUBLIC's EXECUTE.
CREATE FUNCTION app.answer() RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$;
REVOKE ALL ON FUNCTION app.answer() FROM PUBLIC;
-- New, and created without it.
CREATE PROCEDURE app.p() LANGUAGE sql AS $$ SELECT 1 $$;
REVOKE EXECUTE ON PROCEDURE app.p() FROM PUBLIC;
-- The owner's own privileges, less common.
CREATE TABLE app.t (id int);
REVOKE ALL ON app.t FROM CURRENT_USER;
GRANT SELECT ON app.t TO CURRENT_USER;
CREATE TYPE app.e AS ENUM ('x');
REVOKE USAGE ON TYPE app.e FROM PUBLIC;
