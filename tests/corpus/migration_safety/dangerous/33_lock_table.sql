-- expect: DB214
-- why: LOCK TABLE's default mode is ACCESS EXCLUSIVE
LOCK TABLE orders;
