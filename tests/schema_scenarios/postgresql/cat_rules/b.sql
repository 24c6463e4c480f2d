CREATE TABLE items (id int, name text, deleted boolean DEFAULT false);
CREATE TABLE log (id int, at timestamptz DEFAULT now());
CREATE RULE items_soft_delete AS ON DELETE TO items
  DO INSTEAD UPDATE items SET deleted = true WHERE id = OLD.id;
ALTER TABLE items DISABLE RULE items_soft_delete;
CREATE RULE items_log AS ON INSERT TO items DO ALSO INSERT INTO log (id) VALUES (NEW.id + 0);
CREATE RULE items_new AS ON UPDATE TO items WHERE NEW.name IS NULL DO INSTEAD NOTHING;
COMMENT ON RULE items_new ON items IS 'names are required';
CREATE VIEW live_items AS SELECT id, name FROM items WHERE NOT deleted;
