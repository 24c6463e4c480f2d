-- Conversions: added (a default one, one over a C function of the schema, created after
-- it), dropped (with its function, dropped after it), changed (another source encoding),
-- commented.
CREATE FUNCTION old_conv_fn(integer, integer, cstring, internal, integer, boolean)
  RETURNS integer AS '$libdir/utf8_and_iso8859_1', 'iso8859_1_to_utf8' LANGUAGE c STRICT;
CREATE CONVERSION old_conv FOR 'LATIN1' TO 'UTF8' FROM old_conv_fn;
CREATE CONVERSION kept_conv FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
CREATE CONVERSION moved_conv FOR 'LATIN2' TO 'UTF8' FROM iso8859_to_utf8;
