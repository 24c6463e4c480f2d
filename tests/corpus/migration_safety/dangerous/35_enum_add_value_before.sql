-- expect: DB217
-- why: a value added BEFORE another changes the order existing values sort in
ALTER TYPE order_status ADD VALUE 'held' BEFORE 'shipped';
