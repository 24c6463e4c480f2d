-- Access methods: added (index and table) with an operator family of the index one
-- (created after it), dropped with theirs (dropped before it), changed (another handler),
-- commented.
CREATE ACCESS METHOD old_am TYPE INDEX HANDLER bthandler;
CREATE OPERATOR FAMILY old_fam USING old_am;
CREATE ACCESS METHOD kept_am TYPE INDEX HANDLER hashhandler;
CREATE ACCESS METHOD moved_am TYPE INDEX HANDLER bthandler;
