-- expect: DB208
-- why: an inline REFERENCES adds a validated foreign key: both tables locked
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);
