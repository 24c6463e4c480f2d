-- expect: DB213
-- why: VACUUM FULL rewrites the table under ACCESS EXCLUSIVE
VACUUM FULL orders;
