-- Base types with what uses them: a new base type used by new tables' columns (itself and
-- its array), a domain, a function and a cast (created after it, its shell type before
-- its I/O functions); a base type dropped with the table, domain, function and cast that
-- use it (dropped before it); a base type kept with the table that uses it.
CREATE TYPE kept_t;
CREATE FUNCTION kept_t_in(cstring) RETURNS kept_t AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION kept_t_out(kept_t) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE kept_t (INPUT = kept_t_in, OUTPUT = kept_t_out, LIKE = int4);
CREATE TABLE kept_uses (id int, v kept_t);
CREATE TYPE old_t;
CREATE FUNCTION old_t_in(cstring) RETURNS old_t AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION old_t_out(old_t) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE old_t (INPUT = old_t_in, OUTPUT = old_t_out, LIKE = int4);
CREATE TABLE old_uses (v old_t, a old_t[]);
CREATE DOMAIN old_dom AS old_t;
CREATE FUNCTION old_text(old_t) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1::text';
CREATE CAST (old_t AS int4) WITHOUT FUNCTION;
