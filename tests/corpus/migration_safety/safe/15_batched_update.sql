-- safe: a bounded batch
UPDATE orders SET status = 'new' WHERE id BETWEEN 1 AND 10000;
