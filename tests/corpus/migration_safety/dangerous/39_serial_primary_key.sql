-- expect: DB602
-- why: a 32-bit serial key runs out; identity columns are the standard
CREATE TABLE invoices (id serial PRIMARY KEY, total numeric NOT NULL);
