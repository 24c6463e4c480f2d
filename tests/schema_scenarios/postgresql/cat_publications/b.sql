CREATE SCHEMA sales;
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric, region text);
CREATE TABLE sales.customers (id int PRIMARY KEY, name text);
CREATE TABLE public.audit (id int);
CREATE PUBLICATION pub_orders FOR TABLE sales.orders (id, total) WHERE (region = 'eu'),
  sales.customers;
CREATE PUBLICATION pub_inserts FOR ALL TABLES WITH (publish = 'insert, update');
CREATE PUBLICATION pub_schema FOR TABLES IN SCHEMA sales WITH (publish_via_partition_root = true);
COMMENT ON PUBLICATION pub_schema IS 'everything sold';
CREATE TABLE sales.events (at date, kind text) PARTITION BY RANGE (at);
CREATE TABLE sales.events_2026 PARTITION OF sales.events
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE PUBLICATION pub_events FOR TABLE sales.events WHERE (kind <> 'debug'),
  TABLES IN SCHEMA public WITH (publish_via_partition_root = true);
