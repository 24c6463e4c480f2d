CREATE CONVERSION kept_conv FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
COMMENT ON CONVERSION kept_conv IS 'latin1 out';
CREATE CONVERSION moved_conv FOR 'LATIN3' TO 'UTF8' FROM iso8859_to_utf8;
CREATE DEFAULT CONVERSION new_default FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE FUNCTION new_conv_fn(integer, integer, cstring, internal, integer, boolean)
  RETURNS integer AS '$libdir/utf8_and_iso8859_1', 'utf8_to_iso8859_1' LANGUAGE c STRICT;
CREATE CONVERSION new_conv FOR 'UTF8' TO 'LATIN1' FROM new_conv_fn;
