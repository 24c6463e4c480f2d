-- expect: DB219
-- why: a domain CHECK can later only change by scanning every user of the type
CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');
