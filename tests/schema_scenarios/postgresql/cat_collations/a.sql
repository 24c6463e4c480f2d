-- Collations: added (with a new column using one, which must come after it), dropped,
-- changed, commented; ICU and libc.
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION gone (provider = libc, locale = 'C');
CREATE COLLATION changes (provider = icu, locale = 'de-DE');
CREATE TABLE people (id int, name text COLLATE ci);
