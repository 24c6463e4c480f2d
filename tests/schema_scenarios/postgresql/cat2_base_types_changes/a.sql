-- Base types (over internal I/O functions, as a superuser may make them): dropped with
-- their I/O functions, commented, changed in place (a receive function added: ALTER TYPE
-- SET); a shell type standing alone dropped.
CREATE TYPE gone_t;
CREATE FUNCTION gone_t_in(cstring) RETURNS gone_t AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION gone_t_out(gone_t) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE gone_t (INPUT = gone_t_in, OUTPUT = gone_t_out, LIKE = int4);
CREATE TYPE kept_t;
CREATE FUNCTION kept_t_in(cstring) RETURNS kept_t AS 'textin' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION kept_t_out(kept_t) RETURNS cstring AS 'textout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE kept_t (INPUT = kept_t_in, OUTPUT = kept_t_out, INTERNALLENGTH = variable,
  CATEGORY = 'S', COLLATABLE = true, STORAGE = extended);
CREATE TYPE alt_t;
CREATE FUNCTION alt_t_in(cstring) RETURNS alt_t AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION alt_t_out(alt_t) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE alt_t (INPUT = alt_t_in, OUTPUT = alt_t_out, LIKE = int4);
CREATE TYPE lonely_gone;
