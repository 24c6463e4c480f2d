-- expect: DB105
-- why: every row is deleted in one transaction
DELETE FROM sessions;
