"""Code analysis: SQLFluff and dbci's own rules for dangerous changes, over migration scripts.

`dbci.analysis.run.analyze` is the entry point: it picks the files (`scope`), lints each
one with SQLFluff through its Python API and runs dbci's rules (`rules/`) over SQLFluff's
parse tree of the same file (`lint_file`), in parallel over files, with results cached
by content and configuration (`cache`). Findings are plain data (`findings`).
"""
