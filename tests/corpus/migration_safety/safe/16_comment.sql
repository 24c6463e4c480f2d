-- safe: a comment changes only the catalog
COMMENT ON TABLE orders IS 'One row per order placed';
