CREATE TEXT SEARCH PARSER prs (
  START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype,
  HEADLINE = prsd_headline);
CREATE TEXT SEARCH TEMPLATE tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH DICTIONARY plain (TEMPLATE = simple, STOPWORDS = english);
COMMENT ON TEXT SEARCH DICTIONARY plain IS 'no stop words';
CREATE TEXT SEARCH CONFIGURATION docs (COPY = english);
ALTER TEXT SEARCH CONFIGURATION docs ALTER MAPPING FOR asciiword WITH plain, english_stem;
ALTER TEXT SEARCH CONFIGURATION docs DROP MAPPING FOR url, url_path;
CREATE TEXT SEARCH CONFIGURATION kept (PARSER = default);
ALTER TEXT SEARCH CONFIGURATION kept ADD MAPPING FOR asciiword WITH simple;
COMMENT ON TEXT SEARCH CONFIGURATION kept IS 'ascii words only';
COMMENT ON TEXT SEARCH PARSER prs IS 'the default parser, again';
CREATE TEXT SEARCH DICTIONARY english_stem_nostop (
  TEMPLATE = snowball, LANGUAGE = english);
CREATE TEXT SEARCH CONFIGURATION own (PARSER = prs);
ALTER TEXT SEARCH CONFIGURATION own ADD MAPPING FOR word, asciiword
  WITH english_stem_nostop;
CREATE TEXT SEARCH TEMPLATE new_tmpl (LEXIZE = dsimple_lexize);
