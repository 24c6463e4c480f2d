-- The statements of the indexes (:oids) that `index_definition` turned back.
SELECT x.oid, pg_get_indexdef(x.oid) FROM unnest(CAST(:oids AS oid[])) x(oid)
