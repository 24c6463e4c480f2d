CREATE TABLE docs (id int PRIMARY KEY, owner text, level int, body text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT USING (level < 5);
CREATE POLICY docs_write ON docs AS RESTRICTIVE FOR ALL USING (owner = current_user)
  WITH CHECK (level >= 0);
CREATE POLICY docs_new ON docs FOR INSERT WITH CHECK (body IS NOT NULL);
COMMENT ON POLICY docs_read ON docs IS 'readers see levels below 5';
CREATE TABLE typed (id int, score bigint);
CREATE POLICY typed_p ON typed FOR SELECT USING (score > 10);
