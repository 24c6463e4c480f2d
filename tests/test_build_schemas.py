"""Issue 21, item 2: every build database gets the schemas of the environment it builds for.

A Flyway 10/11 project (`flyway.toml`, `schemas` under `[environments.qa]`, as the
README's own example) whose migrations write into `shop` and `audit`, qualified and not
(`CREATE TABLE orders` lands in `shop`: the first schema is the default one, and the
search_path is set to it), with a placeholder that only the environment defines. It is
built by `dbci -e qa pipeline`, `dbci -e qa check`, `dbci -e qa build`, `dbci build` with
`[flyway] environment = "qa"` and `dbci build` with only `[flyway] schemas`, on every
provisioner: embedded (the default), `create-database`, `clean` and `docker` (the Docker
Engine API stand-in, whose container publishes the real server's port).

Expected, from Flyway's documentation and source (`createSchemas`, default true): the
schemas missing on the build database are created before the history table, in the first
schema, and recorded in Flyway's `<< Flyway Schema Creation >>` row (installed_rank 0,
version NULL, type SCHEMA, script the quoted names comma-separated: `"shop","audit"`,
checksum NULL, execution_time 0, success true), the row by which clean later drops them.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url
from support.cli import run_dbci
from support.docker_standin import docker_standin
from support.mysql import MySQLServer
from support.postgres import PgCluster, connect

SCRIPTS = {
    "V1__customers.sql": "CREATE TABLE shop.customers (id int PRIMARY KEY);\n",
    "V2__audit.sql": "CREATE TABLE audit.${audit_table} (id int, at timestamptz);\n",
    # unqualified: in the first schema (shop, the search_path), or the build environment's
    "V3__orders.sql": (
        "CREATE TABLE orders (id int PRIMARY KEY,\n"
        "  customer_id int REFERENCES shop.customers (id));\n"
    ),
}
BUILT = {("shop", "customers"), ("shop", "orders"), ("audit", "log")}
SCHEMA_MARKER = "<< Flyway Schema Creation >>"
# Flyway's row, but for installed_rank: (version, description, type, script, checksum,
# execution_time, success)
SCHEMA_ROW = (None, SCHEMA_MARKER, "SCHEMA", '"shop","audit"', None, 0, True)
BUILD_VARIABLES = dict.fromkeys(
    (
        "DBCI_ENVIRONMENT",
        "DBCI_URL",
        "DBCI_USER",
        "DBCI_PASSWORD",
        "DBCI_SCHEMAS",
        "DBCI_BUILD_URL",
        "DBCI_PROJECT",
        "DBCI_CONFIG",
    )
)

# The command, and which config it runs with:
# "env": [environments.qa] (schemas, placeholder) and a default environment `dev` whose
#        schemas the build must NOT take; "default": `[flyway] environment = "qa"`;
# "flyway": no environment but the build's, `[flyway] schemas` and placeholders.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "-e qa pipeline": (("-e", "qa", "pipeline", "--changes"), "env"),
    "-e qa check": (("-e", "qa", "check", "--changes"), "env"),
    "-e qa build": (("-e", "qa", "build"), "env"),
    "build, [flyway] environment": (("build",), "default"),
    "build, [flyway] schemas": (("build",), "flyway"),
}
PROVISIONERS = ("embedded", "create-database", "clean", "docker")


def pg_url_in_toml(url: str) -> str:
    """A JDBC URL as Flyway's TOML has it, where the server has a host (else the URL)."""
    parsed = make_url(url)
    if not parsed.host:
        return url
    where = f"{parsed.host}:{parsed.port or 5432}/{parsed.database}"
    return f"jdbc:postgresql://{where}?user={parsed.username}"


def project_toml(kind: str, target_url: str, build: str) -> str:
    """flyway.toml of `kind` (see COMMANDS) with `build`, the build environment's tables."""
    if kind == "flyway":
        return (
            build
            + '[flyway]\nlocations = ["filesystem:migrations"]\nschemas = ["shop", "audit"]\n'
            + '[flyway.placeholders]\naudit_table = "log"\n'
        )
    qa = (
        f'[environments.qa]\nurl = "{pg_url_in_toml(target_url)}"\n'
        'schemas = ["shop", "audit"]\n'
        '[environments.qa.flyway.placeholders]\naudit_table = "log"\n'
    )
    if kind == "env":  # the default environment has other schemas: -e qa must win
        qa += (
            f'[environments.dev]\nurl = "{pg_url_in_toml(target_url)}"\nschemas = ["devshop"]\n'
            '[environments.dev.flyway.placeholders]\naudit_table = "devlog"\n'
        )
    default = "qa" if kind == "default" else "dev"
    return (
        qa + build + f'[flyway]\nenvironment = "{default}"\nlocations = ["filesystem:migrations"]\n'
    )


def write_project(root: Path, toml: str) -> Path:
    (root / "migrations").mkdir(parents=True)
    for name, text in SCRIPTS.items():
        (root / "migrations" / name).write_text(text)
    (root / "flyway.toml").write_text(toml)
    return root


def snapshot_tables(root: Path) -> set[tuple[str, str]]:
    objects = json.loads((root / "dbci-report" / "build-snapshot.json").read_text())["objects"]
    return {(o["schema"], o["name"]) for o in objects if o["type"] == "table"}


def history(conn: psycopg.Connection[Any], schema: str) -> list[tuple[Any, ...]]:
    """The history rows in `schema`, in installed_rank order, with the rank first."""
    return [
        tuple(r)
        for r in conn.execute(
            sql.SQL(
                "SELECT installed_rank, version, description, type, script, checksum,"
                " execution_time, success FROM {}.flyway_schema_history ORDER BY installed_rank"
            ).format(sql.Identifier(schema))
        ).fetchall()
    ]


def reset(conn: psycopg.Connection[Any]) -> None:
    """Empty a database, as a new container's or a never-used build database is."""
    found = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
        " AND nspname <> 'information_schema'"
    ).fetchall()
    drops = [sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(n)) for (n,) in found]
    conn.execute(sql.SQL("; ").join([*drops, sql.SQL("CREATE SCHEMA public")]))


@dataclass
class Provisioned:
    """A provisioner's `[environments.build]`, and how to read its database afterwards."""

    toml: str
    env: dict[str, str]
    # (project root, dbci's stdout) -> the build database's connection (None: not readable)
    open_built: Callable[[Path, str], psycopg.Connection[Any] | None]
    cleanup: Callable[[], None]


@dataclass
class Servers:
    cluster: PgCluster
    target: str  # the target's (qa's) database URL: check and pipeline read it
    clean: str  # the clean provisioner's database
    docker: str  # the database the docker stand-in's "containers" hold


@pytest.fixture(scope="module")
def servers(pg_cluster: PgCluster) -> Iterator[Servers]:
    names = [pg_cluster.create_database(f"dbci_bs_{k}_") for k in ("target", "clean", "docker")]
    try:
        yield Servers(pg_cluster, *(pg_cluster.database_url(n) for n in names))
    finally:
        for name in names:
            pg_cluster.drop_database(name)


@pytest.fixture(scope="module")
def standin(servers: Servers) -> Iterator[Any]:
    port = make_url(servers.docker).port or 5432
    with docker_standin(port) as engine:
        yield engine


def provisioned(kind: str, servers: Servers, standin: Any, own_schemas: str = "") -> Provisioned:
    """The build environment of provisioner `kind` (`own_schemas`: a `schemas = …` line)."""
    cluster = servers.cluster
    if kind == "embedded":
        return Provisioned("", {}, _open_kept_embedded, lambda: None)
    if kind == "create-database":
        kept: list[str] = []

        def open_created(root: Path, out: str) -> psycopg.Connection[Any] | None:
            match = re.search(r"Kept the build database (dbci_build_\w+)", out)
            if match is None:  # check and pipeline have no --keep: it was dropped
                return None
            kept.append(match.group(1))
            return connect(cluster.database_url(match.group(1)), autocommit=True)

        def drop_kept() -> None:
            for name in kept:
                cluster.drop_database(name)

        toml = (
            f'[environments.build]\nurl = "{cluster.admin_url}"\n'
            f'provisioner = "create-database"\n{own_schemas}'
        )
        return Provisioned(toml, {}, open_created, drop_kept)
    if kind == "clean":
        with connect(servers.clean, autocommit=True) as conn:
            reset(conn)
        toml = (
            f'[environments.build]\nurl = "{servers.clean}"\nprovisioner = "clean"\n{own_schemas}'
        )
        return Provisioned(
            toml, {}, lambda root, out: connect(servers.clean, autocommit=True), lambda: None
        )
    assert kind == "docker"
    with connect(servers.docker, autocommit=True) as conn:
        reset(conn)  # a new container's database
    url = make_url(servers.docker)
    toml = (
        '[environments.build]\nprovisioner = "docker"\n'
        f'url = "postgresql://{url.username}@127.0.0.1/{url.database}"\n{own_schemas}'
        '[environments.build.dbci.docker]\nimage = "postgres:16"\n'
        'env = { POSTGRES_PASSWORD = "build" }\nwait_seconds = 5\n'
    )

    def open_container(root: Path, out: str) -> psycopg.Connection[Any]:
        assert standin.containers == {}, "the build container was not removed"
        shown = re.search(r"Build database: docker \S+ \((\S+)\)", out)
        assert shown is not None and make_url(shown.group(1)).port == url.port, out
        return connect(servers.docker, autocommit=True)

    return Provisioned(toml, {"DOCKER_HOST": standin.url}, open_container, lambda: None)


def _open_kept_embedded(root: Path, out: str) -> psycopg.Connection[Any] | None:
    """`build --keep` on the embedded server keeps its data directory: start PostgreSQL on
    it again (pgserver's binaries) and read what the build wrote."""
    match = re.search(r"Kept the build database files in (\S+)", out)
    if match is None:
        return None
    directory = Path(match.group(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(directory / "pgdata", cleanup_mode="stop")
    conn = connect(server.get_uri("postgres"), autocommit=True)
    # closing the connection stops the server and deletes the kept files
    conn.add_notice_handler(lambda _: None)
    original_close = conn.close

    def close() -> None:
        original_close()
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)

    conn.close = close  # type: ignore[method-assign]
    return conn


def run_build(
    tmp_path: Path,
    servers: Servers,
    prov: Provisioned,
    command: str,
    *,
    keep: bool = True,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> tuple[Path, str, psycopg.Connection[Any] | None]:
    """Run `command` on a new project; (its root, stdout, the build database or None)."""
    args, kind = COMMANDS[command]
    root = write_project(tmp_path / "project", project_toml(kind, servers.target, prov.toml))
    if keep and args[-1] == "build" and "docker" not in prov.toml:  # (docker keeps its container)
        args = (*args, "--keep")
    variables: dict[str, str | None] = {**BUILD_VARIABLES, **prov.env, **(env or {})}
    done = run_dbci("--project", root, *args, *extra, env=variables)
    built = prov.open_built(root, done.stdout)  # (a kept database is dropped even so)
    if done.returncode != 0 and built is not None:
        built.close()
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return root, done.stdout, built


@pytest.mark.parametrize("provisioner", PROVISIONERS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_build_database_gets_the_schemas_it_builds_for(
    tmp_path: Path, servers: Servers, standin: Any, provisioner: str, command: str
) -> None:
    prov = provisioned(provisioner, servers, standin)
    try:
        root, out, built = run_build(tmp_path, servers, prov, command)
        assert snapshot_tables(root) == BUILT
        if built is None:  # embedded and created databases of check and pipeline: gone
            assert provisioner in ("embedded", "create-database") and "build" not in command
            return
        try:
            rows = history(built, "shop")  # the first schema holds the history
            assert [r[1:] for r in rows] == [
                SCHEMA_ROW,
                ("1", "customers", "SQL", "V1__customers.sql", rows[1][5], rows[1][6], True),
                ("2", "audit", "SQL", "V2__audit.sql", rows[2][5], rows[2][6], True),
                ("3", "orders", "SQL", "V3__orders.sql", rows[3][5], rows[3][6], True),
            ]
            schemas = {
                n
                for (n,) in built.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname IN ('shop', 'audit', 'devshop')"
                ).fetchall()
            }
            assert schemas == {"shop", "audit"}
        finally:
            built.close()
    finally:
        prov.cleanup()


@pytest.mark.parametrize("provisioner", ("create-database", "clean"))
@pytest.mark.parametrize(
    ("label", "extra", "env"),
    [
        ("", (), {}),
        ("--schemas", ("--schemas", "shop,audit"), {}),
        ("DBCI_SCHEMAS", (), {"DBCI_SCHEMAS": "shop,audit"}),
    ],
    ids=["own schemas", "own schemas over --schemas", "own schemas over DBCI_SCHEMAS"],
)
def test_a_build_environment_that_names_its_own_schemas_keeps_them(
    tmp_path: Path,
    servers: Servers,
    standin: Any,
    provisioner: str,
    label: str,
    extra: tuple[str, ...],
    env: dict[str, str],
) -> None:
    """`[environments.build] schemas = [...]` is the build environment's own: neither the
    target's schemas nor `--schemas`/`DBCI_SCHEMAS` (which name the target's, like --url)
    replace them. The first, build_home, holds the history and the unqualified table."""
    own = 'schemas = ["build_home", "shop", "audit"]\n'
    prov = provisioned(provisioner, servers, standin, own_schemas=own)
    try:
        root, _, built = run_build(tmp_path, servers, prov, "-e qa build", extra=extra, env=env)
        assert built is not None
        try:
            assert snapshot_tables(root) == {
                ("shop", "customers"),
                ("build_home", "orders"),
                ("audit", "log"),
            }
            rows = history(built, "build_home")
            assert rows[0][1:] == (
                None,
                SCHEMA_MARKER,
                "SCHEMA",
                '"build_home","shop","audit"',
                None,
                0,
                True,
            )
        finally:
            built.close()
    finally:
        prov.cleanup()


def test_the_schema_creation_row_has_flyways_installed_rank_0(
    tmp_path: Path, servers: Servers, standin: Any
) -> None:
    """Flyway's `SchemaHistory.addAppliedMigration`: `installedRank = type == SCHEMA ? 0 :
    calculateInstalledRank()`; the first migration is then rank 1."""
    prov = provisioned("clean", servers, standin)
    _, _, built = run_build(tmp_path, servers, prov, "-e qa build")
    assert built is not None
    try:
        assert [(r[0], r[3]) for r in history(built, "shop")] == [
            (0, "SCHEMA"),
            (1, "SQL"),
            (2, "SQL"),
            (3, "SQL"),
        ]
    finally:
        built.close()


def test_a_created_mariadb_build_database_is_the_builds_only_schema(
    tmp_path: Path, mysql_server: MySQLServer
) -> None:
    """dbci's documented decision: on MySQL/MariaDB a schema is a database, so the database
    `create-database` makes is the build's only schema; the configured schema names never
    reach the server's real databases (none is created, none is written)."""
    shop = f"dbci_bs_shop_{secrets.token_hex(4)}"
    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "V1__customers.sql").write_text(
        "CREATE TABLE customers (id int PRIMARY KEY);\n"
    )
    (root / "migrations" / "V2__orders.sql").write_text(
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int,\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id));\n"
    )
    server = mysql_server.database_url("")
    (root / "flyway.toml").write_text(
        f'[environments.qa]\nurl = "{mysql_server.database_url(shop)}"\nschemas = ["{shop}"]\n'
        f'[environments.build]\nurl = "{server}"\nprovisioner = "create-database"\n'
        '[flyway]\nlocations = ["filesystem:migrations"]\n'
    )
    done = run_dbci("--project", root, "-e", "qa", "build", "--keep", env=BUILD_VARIABLES)
    kept = re.search(r"Kept the build database (dbci_build_\w+)", done.stdout)
    try:
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        assert kept is not None, done.stdout
        name = kept.group(1)
        tables = snapshot_tables(root)  # (MySQL snapshots leave the one database unnamed)
        assert {t for _, t in tables} == {"customers", "orders"}
        assert {s for s, _ in tables} <= {"", name}
        rows = mysql_server.execute(
            f"SELECT version, type, script FROM `{name}`.flyway_schema_history"
            " ORDER BY installed_rank"
        )
        # the database existed (dbci made it): no schema was created, so no SCHEMA row
        assert rows == [("1", "SQL", "V1__customers.sql"), ("2", "SQL", "V2__orders.sql")]
        databases = {r[0] for r in mysql_server.execute("SHOW DATABASES")}
        assert shop not in databases
    finally:
        if kept is not None:
            mysql_server.execute(f"DROP DATABASE IF EXISTS `{kept.group(1)}`")


def test_a_new_target_whose_schemas_exist_has_not_drifted(
    tmp_path: Path, servers: Servers, standin: Any, pg_url: str
) -> None:
    """A DBA often creates a new database's schemas before its first deploy (Flyway's
    createSchemas then creates none). README, Check: a target with no history table "is
    checked as an empty schema with every migration pending"; deploy expects it empty "but
    for the schemas themselves" and deploys. The nightly `check --drift --fail-on-drift`
    must not fail on the empty schemas that deploy accepts."""
    with connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA shop; CREATE SCHEMA audit")
    prov = provisioned("create-database", servers, standin)
    root = write_project(tmp_path / "project", project_toml("env", pg_url, prov.toml))
    done = run_dbci(
        "--project", root, "-e", "qa", "check", "--drift", "--fail-on-drift", env=BUILD_VARIABLES
    )
    drift = json.loads((root / "dbci-report" / "report.json").read_text())["drift"]
    assert drift["items"] == [], drift["items"]
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
