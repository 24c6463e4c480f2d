CREATE TABLE parent (a int NOT NULL, b int GENERATED ALWAYS AS (a * 2) STORED);
-- a child that declares the generated column it also inherits: CREATE TABLE … INHERITS
-- must leave the expression to the parent (PostgreSQL refuses the child's before 16)
CREATE TABLE declared (a int NOT NULL, b int GENERATED ALWAYS AS (a * 2) STORED, c text);
ALTER TABLE declared INHERIT parent;
-- a child that only inherits it, and one with a generated column of its own
CREATE TABLE only_inherits (c text) INHERITS (parent);
CREATE TABLE own_generated (c int GENERATED ALWAYS AS (a + 1) STORED) INHERITS (parent);
