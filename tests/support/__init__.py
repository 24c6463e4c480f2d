"""Helpers shared by the test suite and by plain scripts (benchmarks, examples).

`support.postgres` provides real PostgreSQL servers (an external one named by
`DBCI_TEST_POSTGRES_URL`, or an embedded `pgserver`), scratch databases and a separate
password-protected cluster; `support.cli` runs the `dbci` command line in a subprocess.
No mocks: everything here talks to real databases and real processes.
"""

from __future__ import annotations
