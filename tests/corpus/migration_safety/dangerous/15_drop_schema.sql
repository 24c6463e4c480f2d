-- expect: DB102
-- why: every object in the schema is lost
DROP SCHEMA reporting CASCADE;
