CREATE FUNCTION kept_handler() RETURNS language_handler
  AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE LANGUAGE keptlang HANDLER kept_handler;
COMMENT ON LANGUAGE keptlang IS 'plpgsql under another name';
CREATE FUNCTION new_handler() RETURNS language_handler
  AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE FUNCTION new_inline(internal) RETURNS void
  AS '$libdir/plpgsql', 'plpgsql_inline_handler' LANGUAGE c STRICT;
CREATE FUNCTION new_validator(oid) RETURNS void
  AS '$libdir/plpgsql', 'plpgsql_validator' LANGUAGE c STRICT;
CREATE TRUSTED LANGUAGE newlang HANDLER new_handler INLINE new_inline VALIDATOR new_validator;
CREATE FUNCTION in_newlang() RETURNS int LANGUAGE newlang AS 'begin return 2; end';
