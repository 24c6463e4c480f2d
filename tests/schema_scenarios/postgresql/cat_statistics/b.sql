CREATE SCHEMA stats;
CREATE TABLE orders (id int, city text, zip text, country text, placed date);
CREATE STATISTICS orders_geo (dependencies, ndistinct) ON city, zip, country FROM orders;
CREATE STATISTICS stats.orders_target (ndistinct) ON zip, country FROM orders;
ALTER STATISTICS stats.orders_target SET STATISTICS 500;
CREATE STATISTICS orders_new (mcv) ON country, (extract(year FROM placed)) FROM orders;
COMMENT ON STATISTICS orders_new IS 'country by year';
