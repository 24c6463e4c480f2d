-- ${shop_name} is a placeholder, replaced from flyway.toml before the script runs.
INSERT INTO customers (id, email, name) VALUES (1, 'ada@example.com', 'Ada; of ${shop_name}');
INSERT INTO customers (id, email, name) VALUES (2, 'alan@example.com', 'Alan');
INSERT INTO orders (id, customer_id, placed_on, total_cents) VALUES (1, 1, '2026-01-05', 1250);
INSERT INTO orders (id, customer_id, placed_on, total_cents) VALUES (2, 2, '2026-01-06', 990);
