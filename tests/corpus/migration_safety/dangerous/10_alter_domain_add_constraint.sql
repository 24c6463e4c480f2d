-- expect: DB219
-- why: the domain's new CHECK is checked against every column of the type
ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
