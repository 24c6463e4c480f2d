-- safe: a table made in the same migration is empty and unused
CREATE TABLE coupons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX coupons_code_key ON coupons (code);
ALTER TABLE coupons ADD CONSTRAINT coupons_code_not_empty CHECK (code <> '');
