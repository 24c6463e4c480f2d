-- expect: DB102
-- why: every object in the database is lost
DROP DATABASE shop_archive;
