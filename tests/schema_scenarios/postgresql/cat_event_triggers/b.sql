CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE FUNCTION note_drop() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER et_ddl ON ddl_command_end EXECUTE FUNCTION note_ddl();
ALTER EVENT TRIGGER et_ddl DISABLE;
CREATE EVENT TRIGGER et_tags ON ddl_command_start WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION note_ddl();
CREATE EVENT TRIGGER et_new ON sql_drop EXECUTE FUNCTION note_drop();
COMMENT ON EVENT TRIGGER et_new IS 'watches drops';
