-- expect: DB504
-- why: a BEGIN never committed leaves the file in a transaction the runner did not open
BEGIN;
ALTER TABLE orders ADD COLUMN note text;
