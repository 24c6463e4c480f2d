-- Each default operator class and the type it is the default for.
SELECT o.oid::text, o.opcintype::text FROM pg_opclass o WHERE o.opcdefault
