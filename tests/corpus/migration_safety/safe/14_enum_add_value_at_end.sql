-- safe: a value at the end: existing values keep their order
ALTER TYPE order_status ADD VALUE 'refunded';
