-- Text search parsers, templates, dictionaries and configurations: added, dropped,
-- changed (a parser gains a headline function, a template an init function, a dictionary
-- its options, a configuration its mappings), commented. A configuration made with COPY
-- reads back as its parser and mappings.
CREATE TEXT SEARCH PARSER prs (
  START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype);
CREATE TEXT SEARCH TEMPLATE tmpl (LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH DICTIONARY plain (TEMPLATE = simple);
CREATE TEXT SEARCH DICTIONARY gone_dict (TEMPLATE = simple, ACCEPT = false);
CREATE TEXT SEARCH CONFIGURATION docs (COPY = english);
CREATE TEXT SEARCH CONFIGURATION gone_cfg (PARSER = default);
CREATE TEXT SEARCH CONFIGURATION kept (PARSER = default);
ALTER TEXT SEARCH CONFIGURATION kept ADD MAPPING FOR asciiword WITH simple;
