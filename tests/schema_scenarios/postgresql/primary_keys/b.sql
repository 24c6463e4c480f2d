CREATE TABLE parent (id int, note text, CONSTRAINT parent_pkey PRIMARY KEY (id) INCLUDE (note));
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent);
CREATE TABLE pair (a int NOT NULL, b int NOT NULL, CONSTRAINT pair_pkey PRIMARY KEY (a, b));
CREATE TABLE keyed (id int NOT NULL);
CREATE TABLE coded (id int, code text);
CREATE UNIQUE INDEX coded_code ON coded (code) INCLUDE (id);
CREATE TABLE uses_code (code text CONSTRAINT uses_code_fk REFERENCES coded (code));
