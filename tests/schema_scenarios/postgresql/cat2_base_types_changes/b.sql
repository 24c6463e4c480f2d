CREATE TYPE kept_t;
CREATE FUNCTION kept_t_in(cstring) RETURNS kept_t AS 'textin' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION kept_t_out(kept_t) RETURNS cstring AS 'textout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE kept_t (INPUT = kept_t_in, OUTPUT = kept_t_out, INTERNALLENGTH = variable,
  CATEGORY = 'S', COLLATABLE = true, STORAGE = extended);
COMMENT ON TYPE kept_t IS 'text under another name';
CREATE TYPE alt_t;
CREATE FUNCTION alt_t_in(cstring) RETURNS alt_t AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION alt_t_out(alt_t) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION alt_t_recv(internal) RETURNS alt_t AS 'int4recv' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE alt_t (INPUT = alt_t_in, OUTPUT = alt_t_out, RECEIVE = alt_t_recv, LIKE = int4);
CREATE TYPE new_t;
CREATE FUNCTION new_t_in(cstring) RETURNS new_t AS 'float8in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION new_t_out(new_t) RETURNS cstring AS 'float8out' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE new_t (INPUT = new_t_in, OUTPUT = new_t_out, INTERNALLENGTH = 8, PASSEDBYVALUE,
  ALIGNMENT = double, DEFAULT = '0.5', PREFERRED = true, CATEGORY = 'X', DELIMITER = ';');
CREATE TYPE lonely_new;
