CREATE SCHEMA app;
CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION app.g(n int) RETURNS int LANGUAGE sql AS $$ SELECT n $$;
-- Revoked and granted again: the default, though its ACL is set.
REVOKE EXECUTE ON FUNCTION app.g(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.g(int) TO PUBLIC;
CREATE TABLE app.t (id int);
CREATE TYPE app.e AS ENUM ('x');
