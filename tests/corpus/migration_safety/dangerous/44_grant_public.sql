-- expect: DB401
-- why: every role, present and future, gets the privilege
GRANT SELECT ON customers TO PUBLIC;
