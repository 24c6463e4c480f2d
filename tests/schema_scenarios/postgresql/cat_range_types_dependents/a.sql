-- Range types with what uses them and what they use: a new range type over a new
-- subtype_diff function, used by new tables' columns (the range, its multirange, an array
-- of it: each alone in a table too), a domain and a function (created after it); a range
-- type dropped with the table, domain and function that use it (dropped before it); a
-- range type kept with the table that uses it.
CREATE TYPE intpair AS RANGE (SUBTYPE = int);
CREATE TABLE booked (id int, span intpair);
CREATE TYPE oldrange AS RANGE (SUBTYPE = numeric);
CREATE TABLE old_spans (r oldrange, m oldmultirange, a oldrange[]);
CREATE DOMAIN old_positive AS oldrange CHECK (NOT isempty(VALUE));
CREATE FUNCTION old_width(oldrange) RETURNS numeric LANGUAGE sql IMMUTABLE
  AS 'SELECT upper($1) - lower($1)';
