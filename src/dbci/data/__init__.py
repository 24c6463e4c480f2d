"""`dbci data refresh`: a development or test database refreshed with a masked,
referentially intact subset of another environment's rows.

* `config`: the `[dbci.data]` settings (start tables, masks, what is done with the
  tables the subset does not reach);
* `model`: the tables, columns and keys of a database as the refresh sees them;
* `catalog`: reading them from PostgreSQL's and MySQL's catalogs; `order`: the order in
  which tables are copied (parents first, cycles together);
* `personal`: which columns look personal, by name and by a sample of their values;
* `masking`: the deterministic, keyed masks;
* `subset` and `refresh`: choosing the rows and copying them.
"""
