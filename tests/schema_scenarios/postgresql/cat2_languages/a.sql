-- Procedural languages (over plpgsql's handler, as a superuser may make them): added with
-- the handler function they use and a function written in them (created after the
-- language), dropped with theirs (dropped before the language), commented.
CREATE FUNCTION old_handler() RETURNS language_handler
  AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE LANGUAGE oldlang HANDLER old_handler;
CREATE FUNCTION in_oldlang() RETURNS int LANGUAGE oldlang AS 'begin return 1; end';
CREATE FUNCTION kept_handler() RETURNS language_handler
  AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE LANGUAGE keptlang HANDLER kept_handler;
