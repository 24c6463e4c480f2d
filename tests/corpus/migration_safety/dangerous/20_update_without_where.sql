-- expect: DB105
-- why: every row is rewritten in one transaction
UPDATE orders SET status = 'new';
