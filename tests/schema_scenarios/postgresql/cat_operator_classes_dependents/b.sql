CREATE FUNCTION abs_lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) < abs($2)';
CREATE FUNCTION abs_le(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) <= abs($2)';
CREATE FUNCTION abs_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) = abs($2)';
CREATE FUNCTION abs_ge(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) >= abs($2)';
CREATE FUNCTION abs_gt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) > abs($2)';
CREATE FUNCTION abs_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE
  AS 'SELECT sign(abs($1) - abs($2))::int';
CREATE OPERATOR <# (FUNCTION = abs_lt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR <=# (FUNCTION = abs_le, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR =# (FUNCTION = abs_eq, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR >=# (FUNCTION = abs_ge, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR ># (FUNCTION = abs_gt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR CLASS abs_ops FOR TYPE int USING btree AS
  OPERATOR 1 <#, OPERATOR 2 <=#, OPERATOR 3 =#, OPERATOR 4 >=#, OPERATOR 5 >#,
  FUNCTION 1 abs_cmp(int, int);
CREATE TABLE readings (v int);
CREATE INDEX readings_abs ON readings (v abs_ops);
CREATE FUNCTION len_cmp(text, text) RETURNS int LANGUAGE sql IMMUTABLE
  AS 'SELECT sign(length($1) - length($2))::int';
CREATE FUNCTION len_lt(text, text) RETURNS bool LANGUAGE sql IMMUTABLE
  AS 'SELECT length($1) < length($2)';
CREATE OPERATOR <@@ (FUNCTION = len_lt, LEFTARG = text, RIGHTARG = text);
CREATE OPERATOR CLASS len_ops FOR TYPE text USING btree AS
  OPERATOR 1 <@@, FUNCTION 1 len_cmp(text, text);
CREATE TABLE words (w text);
CREATE INDEX words_len ON words (w len_ops);
