-- Text search objects with what uses them and what they use: a dictionary that changes
-- under a configuration and an index using it (both made again around it); a new parser,
-- template, dictionary and configuration, one over the other, used by a new table's
-- generated column; a chain of them dropped with the table whose column uses them.
CREATE TEXT SEARCH DICTIONARY my_simple (TEMPLATE = simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION notes_cfg (PARSER = default);
ALTER TEXT SEARCH CONFIGURATION notes_cfg ADD MAPPING FOR asciiword, word WITH my_simple;
CREATE TABLE notes (body text);
CREATE INDEX notes_fts ON notes USING gin (to_tsvector('public.notes_cfg'::regconfig, body));
CREATE TEXT SEARCH TEMPLATE old_tmpl (LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH DICTIONARY old_dict (TEMPLATE = old_tmpl);
CREATE TEXT SEARCH CONFIGURATION old_cfg (PARSER = default);
ALTER TEXT SEARCH CONFIGURATION old_cfg ADD MAPPING FOR asciiword WITH old_dict;
CREATE TABLE old_docs (
  body text,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('public.old_cfg'::regconfig, body)) STORED);
