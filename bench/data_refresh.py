#!/usr/bin/env python3
"""Benchmark `dbci data refresh` against `pg_dump --data-only | psql` of the same rows.

One run generates a source database (not timed): a sales fact table of `--rows` rows
(default 10 million, ~330 bytes each with its note: a 4-5 GB database with its indexes)
referencing customers (`--customers`, default 200,000, with e-mail, name, phone and birth
date), products, stores and regions. A project's `dbci.toml` names it `prod`, a second
database `qa` (`provisioner = "clean"`), and asks for the last `--share` % of the sales
(by `sold_at`) with every row they reference, the customers' four personal columns
masked (Faker's email, name and phone_number, a date shift).

Then, `--repeat` times (not alternating: each side's database is the other's input):

* dbci: `python -m dbci data refresh --from prod --to qa` (a new database built from the
  migration, the subset copied and masked, constraints checked, swapped in), timed as a
  whole process with its peak resident memory;
* the reference: the same rows, unmasked, as PostgreSQL's own tools copy them: a database
  with qa's schema (`pg_dump --schema-only`, not timed), then `pg_dump --data-only
  --disable-triggers qa | psql` into it, timed as one pipeline.

It checks that dbci exited 0, that the reference database holds exactly qa's row counts
and that no source e-mail address reached qa, then prints the medians, dbci's time over
the reference's (target ≤ 1.5x) and dbci's peak memory (target ≤ 300 MB). The databases
are dropped at the end. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from _bench import (
    BenchError,
    Cluster,
    Series,
    dbci_env,
    ensure_dbci_importable,
    guarded,
    int_at_least,
    print_medians,
    run_ok,
    run_process,
    server_url,
    verdict,
)

TARGET_RATIO = 1.5  # dbci's time over pg_dump | psql of the same rows
TARGET_PEAK_MB = 300.0
SALT = "the benchmark's salt"

SCHEMA = """
CREATE TABLE regions (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE stores (id int PRIMARY KEY, region_id int NOT NULL REFERENCES regions (id),
    city text NOT NULL);
CREATE TABLE products (id int PRIMARY KEY, sku text NOT NULL UNIQUE, title text NOT NULL,
    price numeric(10, 2) NOT NULL);
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE,
    full_name text NOT NULL, phone text, born_on date, store_id int REFERENCES stores (id));
CREATE TABLE sales (id bigint PRIMARY KEY, sold_at timestamptz NOT NULL,
    customer_id bigint REFERENCES customers (id), product_id int NOT NULL REFERENCES products (id),
    store_id int NOT NULL REFERENCES stores (id), quantity int NOT NULL,
    amount numeric(12, 2) NOT NULL, note text);
CREATE INDEX sales_sold_at ON sales (sold_at);
"""

FILL = """
INSERT INTO regions SELECT g, 'Region ' || g FROM generate_series(1, 20) g;
INSERT INTO stores SELECT g, 1 + g % 20, 'City ' || g FROM generate_series(1, 1000) g;
INSERT INTO products SELECT g, 'SKU-' || g, 'Product ' || g, (g % 500) + 0.99
    FROM generate_series(1, 20000) g;
INSERT INTO customers SELECT g, 'customer' || g || '@example.com', 'Customer Name ' || g,
    '+49 30 ' || lpad(g::text, 8, '0'), date '1950-01-01' + (g % 20000), 1 + g % 1000
    FROM generate_series(1, {customers}) g;
INSERT INTO sales SELECT g, timestamptz '2023-01-01 00:00+00' + g * interval '3 seconds',
    1 + (g::bigint * 7919) % {customers}, 1 + g % 20000, 1 + g % 1000, 1 + g % 5,
    (g % 10000) / 100.0, repeat(md5(g::text), 10)
    FROM generate_series(1, {rows}) g;
ANALYZE;
"""

CONFIG = """
[environments.prod]
url = "{source}"

[environments.qa]
url = "{target}"
provisioner = "clean"

[dbci.data]
sales = "sold_at >= timestamptz '2023-01-01 00:00+00' + {first} * interval '3 seconds'"
unreached = "all"

[dbci.data.mask]
"customers.email" = "email"
"customers.full_name" = "name"
"customers.phone" = "phone_number"
"customers.born_on" = "shift:30d"
"regions.name" = "keep"
"stores.city" = "keep"
"""

TABLES = ("regions", "stores", "products", "customers", "sales")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="PostgreSQL admin URL (default: DBCI_BENCH_POSTGRES_URL, "
                        "DBCI_TEST_POSTGRES_URL, else an embedded server)")  # fmt: skip
    parser.add_argument("--rows", type=int_at_least(1000), default=10_000_000, help="sales rows")
    parser.add_argument(
        "--customers", type=int_at_least(100), default=200_000, help="customers rows"
    )
    parser.add_argument("--share", type=int_at_least(1), default=30, help="%% of sales chosen")
    parser.add_argument("--repeat", type=int_at_least(1), default=1, help="runs of each side")
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    return parser.parse_args(argv)


def table_counts(cluster: Cluster, database: str) -> dict[str, int]:
    return {t: int(cluster.execute(f"SELECT count(*) FROM {t}", database)[0][0]) for t in TABLES}


def benchmark(args: argparse.Namespace, stack: ExitStack) -> int:
    ensure_dbci_importable()
    admin, where = server_url(args.url, stack)
    cluster = Cluster(admin)
    stack.callback(cluster.drop_all)
    pg_dump, psql = shutil.which("pg_dump"), shutil.which("psql")
    if not pg_dump or not psql:
        raise BenchError("pg_dump and psql must be on PATH (the reference)")
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-data-")))
    source, qa = cluster.create_database(), cluster.create_database()
    first = args.rows * (100 - args.share) // 100 + 1
    (work / "migrations").mkdir()
    (work / "migrations" / "V1__schema.sql").write_text(SCHEMA, encoding="utf-8")
    (work / "dbci.toml").write_text(
        CONFIG.format(source=cluster.url(source), target=cluster.url(qa), first=first),
        encoding="utf-8",
    )
    env = dbci_env(work) | {"DBCI_DATA_SALT": SALT}
    dbci = [sys.executable, "-m", "dbci", "--project", str(work)]
    for name in ("prod", "qa"):
        run_ok([*dbci, "-e", name, "migrate"], env=env)
    filled = run_process(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
         FILL.format(rows=args.rows, customers=args.customers), cluster.url(source)]
    )  # fmt: skip
    if filled.returncode != 0:
        raise BenchError(f"filling the source failed: {filled.tail()}")
    size = cluster.execute(f"SELECT pg_size_pretty(pg_database_size('{source}'))")[0][0]
    print(f"source   {args.rows:,} sales, {args.customers:,} customers: {size} "
          f"(generated in {filled.wall:.0f} s); {where}")  # fmt: skip
    print(f"subset   the last {args.share}% of sales (id >= {first:,}) and what they reference")

    ours, reference = Series(), Series()
    for i in range(1, args.repeat + 1):
        run = run_process([*dbci, "data", "refresh", "--from", "prod", "--to", "qa"], env=env)
        if run.returncode != 0:
            raise BenchError(f"dbci data refresh exited {run.returncode}: {run.tail()}")
        ours.runs.append(run)
        counts = table_counts(cluster, qa)
        ref = cluster.create_database()
        schema = run_ok(["bash", "-c", f"set -o pipefail; {pg_dump} --schema-only "
                         f"'{cluster.url(qa)}' | {psql} -X -q -v ON_ERROR_STOP=1 "
                         f"'{cluster.url(ref)}'"])  # fmt: skip
        del schema
        copy = run_process(
            ["bash", "-c", f"set -o pipefail; {pg_dump} --data-only --disable-triggers "
             f"--exclude-table=flyway_schema_history '{cluster.url(qa)}' | "
             f"{psql} -X -q -v ON_ERROR_STOP=1 '{cluster.url(ref)}'"]
        )  # fmt: skip
        if copy.returncode != 0:
            raise BenchError(f"pg_dump | psql exited {copy.returncode}: {copy.tail()}")
        reference.runs.append(copy)
        if table_counts(cluster, ref) != counts:
            raise BenchError(f"the reference holds {table_counts(cluster, ref)}, qa {counts}")
        cluster.drop_database(ref)
        print(f"run {i}/{args.repeat}  dbci {run.wall:.1f} s (peak {run.peak_mb:.0f} MB)  "
              f"pg_dump | psql {copy.wall:.1f} s  rows: "
              + ", ".join(f"{t} {n:,}" for t, n in counts.items()))  # fmt: skip
    leaked = cluster.execute(
        "SELECT count(*) FROM customers WHERE email LIKE 'customer%@example.com'", qa
    )[0][0]
    if leaked:
        raise BenchError(f"{leaked} source e-mail addresses reached qa")
    ratio = ours.median / reference.median
    print_medians(
        [
            ("dbci data refresh", f"{ours.median:.1f} s", f"peak {ours.peak_mb:.0f} MB",
             f"<= {TARGET_PEAK_MB:.0f} MB {verdict(ours.peak_mb <= TARGET_PEAK_MB)}"),
            ("pg_dump --data-only | psql", f"{reference.median:.1f} s", "", ""),
            ("dbci / reference", f"{ratio:.2f}x", "",
             f"<= {TARGET_RATIO}x {verdict(ratio <= TARGET_RATIO)}"),
        ]
    )  # fmt: skip
    if args.json:
        print(json.dumps({"dbci": ours.as_dict(memory=True), "reference": reference.as_dict(),
                          "ratio": round(ratio, 3), "rows": counts}))  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return guarded(lambda stack: benchmark(args, stack))


if __name__ == "__main__":
    sys.exit(main())
