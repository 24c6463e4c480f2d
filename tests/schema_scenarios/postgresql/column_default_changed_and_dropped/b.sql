CREATE TABLE t (
    id int PRIMARY KEY,
    a int DEFAULT 2,
    b text,
    c timestamptz DEFAULT statement_timestamp(),
    d boolean DEFAULT false
);
