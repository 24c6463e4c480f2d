-- Extended statistics added, dropped, changed (kinds, columns, target), commented, and in
-- another schema than their table.
CREATE SCHEMA stats;
CREATE TABLE orders (id int, city text, zip text, country text, placed date);
CREATE STATISTICS orders_geo (dependencies) ON city, zip FROM orders;
CREATE STATISTICS orders_gone ON city, country FROM orders;
CREATE STATISTICS stats.orders_target (ndistinct) ON zip, country FROM orders;
