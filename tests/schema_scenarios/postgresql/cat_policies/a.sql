-- Policies added, dropped, changed (command, roles, expressions), commented; a policy
-- reading a column that is retyped is made again around it; a table with a policy dropped.
CREATE TABLE docs (id int PRIMARY KEY, owner text, level int, body text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT USING (level < 3);
CREATE POLICY docs_gone ON docs FOR DELETE USING (false);
CREATE POLICY docs_write ON docs AS RESTRICTIVE FOR UPDATE USING (owner = current_user);
CREATE TABLE old_t (a int);
CREATE POLICY old_p ON old_t USING (a > 0);
CREATE TABLE typed (id int, score int);
CREATE POLICY typed_p ON typed FOR SELECT USING (score > 10);
