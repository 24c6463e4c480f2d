CREATE TABLE parent (id int CONSTRAINT parent_pkey PRIMARY KEY, note text);
CREATE TABLE child (id int, parent_id int REFERENCES parent);
CREATE TABLE pair (a int NOT NULL, b int NOT NULL, CONSTRAINT pair_pkey PRIMARY KEY (a));
CREATE TABLE keyed (id int PRIMARY KEY);
INSERT INTO parent VALUES (1, 'x');
INSERT INTO child VALUES (1, 1);
CREATE TABLE coded (id int, code text);
CREATE UNIQUE INDEX coded_code ON coded (code);
CREATE TABLE uses_code (code text CONSTRAINT uses_code_fk REFERENCES coded (code));
