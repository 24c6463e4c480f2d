CREATE TEXT SEARCH DICTIONARY my_simple (TEMPLATE = simple, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH CONFIGURATION notes_cfg (PARSER = default);
ALTER TEXT SEARCH CONFIGURATION notes_cfg ADD MAPPING FOR asciiword, word WITH my_simple;
CREATE TABLE notes (body text);
CREATE INDEX notes_fts ON notes USING gin (to_tsvector('public.notes_cfg'::regconfig, body));
CREATE TEXT SEARCH PARSER new_prs (
  START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype);
CREATE TEXT SEARCH TEMPLATE new_tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH DICTIONARY new_dict (TEMPLATE = new_tmpl, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION new_cfg (PARSER = new_prs);
ALTER TEXT SEARCH CONFIGURATION new_cfg ADD MAPPING FOR asciiword WITH new_dict, simple;
CREATE TABLE articles (
  body text,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('public.new_cfg'::regconfig, body)) STORED);
