CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION changes (provider = icu, locale = 'fr-FR');
CREATE COLLATION numeric_order (provider = icu, locale = 'en-u-kn-true');
COMMENT ON COLLATION ci IS 'case-insensitive';
CREATE TABLE people (id int, name text COLLATE ci, code text COLLATE numeric_order);
CREATE TABLE tags (label text COLLATE numeric_order);
