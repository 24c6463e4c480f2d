-- Event triggers (database-wide): added, dropped, changed (event, tags, function),
-- disabled, commented.
CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE FUNCTION note_drop() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER et_ddl ON ddl_command_end EXECUTE FUNCTION note_ddl();
CREATE EVENT TRIGGER et_gone ON sql_drop EXECUTE FUNCTION note_drop();
CREATE EVENT TRIGGER et_tags ON ddl_command_start WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION note_ddl();
