-- expect: DB103
-- why: the column's data is lost
ALTER TABLE customers DROP COLUMN fax;
