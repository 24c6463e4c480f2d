-- Customers of the demo shop.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email VARCHAR(200) NOT NULL UNIQUE,
    name VARCHAR(100) NOT NULL
);
