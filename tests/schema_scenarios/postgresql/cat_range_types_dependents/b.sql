CREATE TYPE intpair AS RANGE (SUBTYPE = int);
CREATE TABLE booked (id int, span intpair);
CREATE FUNCTION date_diff(date, date) RETURNS float8 LANGUAGE sql IMMUTABLE
  AS 'SELECT ($1 - $2)::float8';
CREATE TYPE dayrange AS RANGE (SUBTYPE = date, SUBTYPE_DIFF = date_diff);
CREATE TABLE stays (r dayrange, a dayrange[]);
CREATE TABLE stay_sets (m daymultirange);
CREATE TABLE stay_lists (a dayrange[]);
CREATE DOMAIN nonempty_days AS dayrange CHECK (NOT isempty(VALUE));
CREATE FUNCTION nights(dayrange) RETURNS int LANGUAGE sql IMMUTABLE
  AS 'SELECT upper($1) - lower($1)';
