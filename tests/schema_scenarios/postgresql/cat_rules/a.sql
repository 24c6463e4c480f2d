-- Rules added, dropped, changed, disabled, commented; a view's own rule is not one.
CREATE TABLE items (id int, name text, deleted boolean DEFAULT false);
CREATE TABLE log (id int, at timestamptz DEFAULT now());
CREATE RULE items_soft_delete AS ON DELETE TO items
  DO INSTEAD UPDATE items SET deleted = true WHERE id = OLD.id;
CREATE RULE items_log AS ON INSERT TO items DO ALSO INSERT INTO log (id) VALUES (NEW.id);
CREATE RULE items_gone AS ON UPDATE TO items WHERE NEW.id < 0 DO INSTEAD NOTHING;
CREATE VIEW live_items AS SELECT id, name FROM items WHERE NOT deleted;
