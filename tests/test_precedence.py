"""Issue 21, item 1: one resolution of the target for every command and stage, as a table.

README, "Configuration and precedence": command line > `DBCI_*` variables > the config
file > defaults, for every command; global options may also follow the command. So:

* no option: `[flyway] environment` (here `dev`);
* `-e qa`: qa; `DBCI_ENVIRONMENT=qa`: qa; `-e qa` beats `DBCI_ENVIRONMENT`;
* `-e qa --url U` (or `-e qa` with `DBCI_URL=U`): qa's settings (its `schemas`) with U as
  its URL; `DBCI_URL=U` alone: the default environment's settings with U as its URL;
* `--schemas` / `DBCI_SCHEMAS` over the environment's `schemas`.

Five real PostgreSQL databases (`dev`, `qa`, `uat`, `prod`, and `other`, which only a URL
names), each environment with a schema of its own name (`qa_app`, ...), so that every case
says which database AND which environment's settings were used. Each case resets the
databases (a few statements each), runs the real `dbci`, and then looks at the databases
themselves: exactly the expected (database, schema) changed, and nothing else did. The
expected value of every row is chosen so that a wrong precedence touches (or reads) another
database or schema. Read-only commands (`info`, `validate`, `check`, the check side of
`pipeline`) assert which database their output and report name, and that nothing changed.

Builds (`pipeline`, `check`'s rebuild, `build`, deploy's drift gate) run on
`[environments.build]`, a sixth database with `provisioner = "clean"` (cheaper than
`create-database`, and it stays, so the test reads what was built there): for the target,
in the target's schemas. test_build_schemas.py covers the other provisioners.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url
from support.cli import run_dbci
from support.postgres import PgCluster, connect

DATABASES = ("dev", "qa", "uat", "prod", "other")
ENVIRONMENTS = ("dev", "qa", "uat", "prod")
SCHEMA = {name: f"{name}_app" for name in ENVIRONMENTS}  # each environment's `schemas`
SCRIPTS = {
    "V1__one.sql": "CREATE TABLE t1 (id int);\n",
    "V2__two.sql": "CREATE TABLE t2 (id int);\n",
    "U2__two.sql": "DROP TABLE t2;\n",
    "V3__three.sql": "CREATE TABLE t3 (id int);\n",
}
# Every variable that could name a target: the ambient environment must not leak into a case.
TARGET_VARIABLES = (
    "DBCI_ENVIRONMENT",
    "DBCI_URL",
    "DBCI_USER",
    "DBCI_PASSWORD",
    "DBCI_SCHEMAS",
    "DBCI_PROJECT",
    "DBCI_CONFIG",
    "DBCI_BUILD_URL",
    "DBCI_CLEAN_DISABLED",
)
HISTORY_DDL = """
CREATE TABLE {table} (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE {table} ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON {table} ("success");
"""  # Flyway's own DDL for PostgreSQL (createMetaDataTable.sql)
WRONG_CHECKSUM = 12345


def flyway_checksum(text: str) -> int:
    """Flyway's checksum: CRC32 over the lines without their line breaks, signed 32-bit."""
    crc = 0
    for line in text.splitlines():
        crc = zlib.crc32(line.encode(), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


CHECKSUM = {name: flyway_checksum(text) for name, text in SCRIPTS.items()}


def sql_row(version: str, description: str, script: str) -> tuple[Any, ...]:
    """A history row as `Ran.history` gives it (no installed_rank): a successful versioned
    migration. (The ranks: see test_build_schemas.py, the SCHEMA row's rank 0.)"""
    return (version, description, "SQL", script, CHECKSUM[script], True)


V1_ROW = sql_row("1", "one", "V1__one.sql")
V2_ROW = sql_row("2", "two", "V2__two.sql")
V3_ROW = sql_row("3", "three", "V3__three.sql")

Fingerprint = dict[str, dict[str, tuple[frozenset[str], tuple[tuple[Any, ...], ...]]]]


# --- The world: five databases, one project --------------------------------------------------


@dataclass
class World:
    cluster: PgCluster
    root: Path
    names: dict[str, str]  # key -> database name
    conns: dict[str, psycopg.Connection[Any]] = field(default_factory=dict)  # the five
    build: psycopg.Connection[Any] | None = None  # [environments.build]'s database

    def url(self, key: str) -> str:
        return self.cluster.database_url(self.names[key])

    def write_config(self, extra: str = "", default: str = "dev") -> None:
        prod = make_url(self.url("prod"))
        alias = f"jdbc:postgresql://localhost:{prod.port or 5432}/{prod.database}"
        envs = "".join(
            f'[environments.{env}]\nurl = "{self.url(env)}"\nschemas = ["{SCHEMA[env]}"]\n'
            + ('provisioner = "clean"\n' if env != "uat" else "")
            for env in ENVIRONMENTS
        )
        (self.root / "flyway.toml").write_text(
            envs
            + "[environments.prod.flyway]\ncleanDisabled = false\n"
            # prod's database under another name: localhost, the JDBC form, no user
            + f'[environments.alias]\nurl = "{alias}"\nschemas = ["prod_app"]\n'
            + 'provisioner = "clean"\n'
            # a login the file gets from variables that are not set
            + f'[environments.login]\nurl = "{self.url("qa")}"\nschemas = ["login_app"]\n'
            + 'user = "${env.DBCI_TEST_UNSET_USER}"\npassword = "${env.DBCI_TEST_UNSET_PW}"\n'
            + f'[environments.build]\nurl = "{self.url("build")}"\nprovisioner = "clean"\n'
            + f'[flyway]\nenvironment = "{default}"\nlocations = ["filesystem:migrations"]\n'
            + extra
        )

    def resolve(self, value: str) -> str:
        """`@other` is other's URL, `@prod` prod's, ...; `@prod:form` a variant (below)."""
        if value.startswith("@"):
            key, _, form = value[1:].partition(":")
            url = make_url(self.url(key))
            if form == "alias":  # the same database: localhost, another user, no port
                host = "localhost" if url.host in ("127.0.0.1", None) else url.host
                port = f":{url.port}" if url.port and url.port != 5432 else ""
                return f"postgresql://someone@{host}{port}/{url.database}"
            if form == "dbname":  # the database named in the query string (libpq)
                other = self.url("other")
                return f"{other}{'&' if '?' in other else '?'}dbname={url.database}"
            if form == "nouser":  # the same URL without a login
                bare = URL.create(url.drivername, None, None, url.host, url.port, url.database)
                return bare.set(query=url.query).render_as_string(hide_password=False)
            return self.url(key)
        return value

    def reset(self, state: str, corrupt: tuple[str, str] | None = None) -> None:
        """Every database back to `state`:

        * fresh: only `public.here_<db>`, no environment schema;
        * applied: every environment's schema in every database holds t1, t2 and Flyway's
          history of V1 and V2 (as Flyway writes it); `corrupt` (db, schema), or every
          schema with ("*", "*"), gets a wrong checksum for V1;
        * marked: applied, plus a table `here_<db>` in each schema (what a check reads).
        """

        def one(key: str) -> None:
            conn = self.conns[key] if key != "build" else self.build
            assert conn is not None
            found = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
                " AND nspname <> 'information_schema'"
            ).fetchall()
            statements = [
                sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)) for (name,) in found
            ]
            statements.append(sql.SQL("CREATE SCHEMA public"))
            if key == "build":  # empty, as a build environment is before its first build
                conn.execute(sql.SQL(";\n").join(statements))
                return
            statements.append(
                sql.SQL("CREATE TABLE public.{} ()").format(sql.Identifier(f"here_{key}"))
            )
            if state != "fresh":
                for env in ENVIRONMENTS:
                    schema = sql.Identifier(SCHEMA[env])
                    table = sql.SQL("{}.{}").format(schema, sql.Identifier("flyway_schema_history"))
                    statements.append(sql.SQL("CREATE SCHEMA {}").format(schema))
                    statements.append(sql.SQL("SET search_path TO {}").format(schema))
                    statements.append(sql.SQL(SCRIPTS["V1__one.sql"] + SCRIPTS["V2__two.sql"]))
                    statements.append(sql.SQL(HISTORY_DDL).format(table=table))
                    wrong = corrupt in ((key, SCHEMA[env]), ("*", "*"))
                    for rank, version, description, script in (
                        (1, "1", "one", "V1__one.sql"),
                        (2, "2", "two", "V2__two.sql"),
                    ):
                        checksum = WRONG_CHECKSUM if wrong and rank == 1 else CHECKSUM[script]
                        statements.append(
                            sql.SQL(
                                "INSERT INTO {} (installed_rank, version, description, type,"
                                " script, checksum, installed_by, execution_time, success)"
                                " VALUES ({}, {}, {}, 'SQL', {}, {}, 'flyway', 3, true)"
                            ).format(
                                table,
                                rank,
                                sql.Literal(version),
                                sql.Literal(description),
                                sql.Literal(script),
                                checksum,
                            )
                        )
                    if state == "marked":
                        statements.append(
                            sql.SQL("CREATE TABLE {}.{} ()").format(
                                schema, sql.Identifier(f"here_{key}")
                            )
                        )
                statements.append(sql.SQL("RESET search_path"))
            conn.execute(sql.SQL(";\n").join(statements))

        with ThreadPoolExecutor(len(self.conns) + 1) as pool:
            list(pool.map(one, [*self.conns, "build"]))

    def built(self) -> dict[str, set[str]]:
        """The build database's schemas and their tables (public and empty ones left out)."""
        assert self.build is not None
        rows = self.build.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'public')"
        ).fetchall()
        found: dict[str, set[str]] = {}
        for schema, name in rows:
            found.setdefault(schema, set()).add(name)
        return found

    def fingerprint(self) -> Fingerprint:
        """database -> schema -> (its relations, its history rows): what a command changes."""

        def one(key: str) -> dict[str, tuple[frozenset[str], tuple[tuple[Any, ...], ...]]]:
            conn = self.conns[key]
            rows = conn.execute(
                "SELECT n.nspname, c.relname FROM pg_namespace n LEFT JOIN pg_class c"
                " ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
                " WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
            ).fetchall()
            tables: dict[str, set[str]] = {}
            for schema, name in rows:
                tables.setdefault(schema, set())
                if name is not None:
                    tables[schema].add(name)
            result = {}
            for schema, names in tables.items():
                history: tuple[tuple[Any, ...], ...] = ()
                if "flyway_schema_history" in names:
                    history = tuple(
                        tuple(r)
                        for r in conn.execute(
                            sql.SQL(
                                "SELECT installed_rank, version, description, type, script,"
                                " checksum, success FROM {}.flyway_schema_history"
                                " ORDER BY installed_rank"
                            ).format(sql.Identifier(schema))
                        ).fetchall()
                    )
                result[schema] = (frozenset(names), history)
            return result

        with ThreadPoolExecutor(len(self.conns)) as pool:
            return dict(zip(self.conns, pool.map(one, self.conns), strict=True))


@pytest.fixture(scope="module")
def world(pg_cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("precedence")
    (root / "migrations").mkdir()
    for name, text in SCRIPTS.items():
        (root / "migrations" / name).write_text(text)
    keys = (*DATABASES, "build")
    with ThreadPoolExecutor(len(keys)) as pool:
        created = list(pool.map(lambda k: pg_cluster.create_database(f"dbci_p_{k}_"), keys))
    names = dict(zip(keys, created, strict=True))
    made = World(pg_cluster, root, names)
    try:
        for key in DATABASES:
            made.conns[key] = connect(made.url(key), autocommit=True)
        made.build = connect(made.url("build"), autocommit=True)
        made.write_config()
        yield made
    finally:
        for conn in [*made.conns.values(), made.build]:
            if conn is not None:
                conn.close()
        for name in created:
            pg_cluster.drop_database(name)


# --- Cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """How the target is named, and the (database, schema) the README says that names."""

    label: str
    before: tuple[str, ...]  # global options before the command
    after: tuple[str, ...]  # options after the command
    env: tuple[tuple[str, str], ...]
    database: str
    schema: str


def variant(
    label: str, before: str, after: str, env: dict[str, str], db: str, schema: str
) -> Variant:
    return Variant(
        label, tuple(before.split()), tuple(after.split()), tuple(env.items()), db, schema
    )


# Each row: what it names, and (in the comment) what a wrong precedence would touch instead.
VARIANTS = [
    # [flyway] environment (wrong: an error, or nothing)
    variant("none: [flyway] environment", "", "", {}, "dev", "dev_app"),
    # -e (wrong: dev, the file's default)
    variant("-e qa", "-e qa", "", {}, "qa", "qa_app"),
    # -e + --url: qa's settings, other's database (wrong: qa; or other without qa's schemas)
    variant("-e qa --url other", "-e qa --url @other", "", {}, "other", "qa_app"),
    # DBCI_URL: the default environment's settings there (wrong: dev)
    variant("DBCI_URL=other", "", "", {"DBCI_URL": "@other"}, "other", "dev_app"),
    # -e beats DBCI_ENVIRONMENT (wrong: uat)
    variant(
        "-e qa, DBCI_ENVIRONMENT=uat", "-e qa", "", {"DBCI_ENVIRONMENT": "uat"}, "qa", "qa_app"
    ),
    # after the command, and over both variables (wrong: uat)
    variant(
        "cmd -e qa --url other, DBCI_ENVIRONMENT=uat DBCI_URL=uat",
        "",
        "-e qa --url @other",
        {"DBCI_ENVIRONMENT": "uat", "DBCI_URL": "@uat"},
        "other",
        "qa_app",
    ),
    # DBCI_ENVIRONMENT beats [flyway] environment (wrong: dev)
    variant("DBCI_ENVIRONMENT=qa", "", "", {"DBCI_ENVIRONMENT": "qa"}, "qa", "qa_app"),
    # the URL is a setting of its own: DBCI_URL over qa's url (wrong: qa)
    variant("-e qa, DBCI_URL=other", "-e qa", "", {"DBCI_URL": "@other"}, "other", "qa_app"),
]
SCHEMA_VARIANTS = [
    # --schemas over the environment's schemas (wrong: qa_app)
    variant("-e qa --schemas cli_s", "-e qa --schemas cli_s", "", {}, "qa", "cli_s"),
    variant(
        "cmd --schemas cli_s, DBCI_SCHEMAS=env_s",
        "-e qa",
        "--schemas cli_s",
        {"DBCI_SCHEMAS": "env_s"},
        "qa",
        "cli_s",
    ),
    # DBCI_SCHEMAS over the file (wrong: qa_app)
    variant("-e qa, DBCI_SCHEMAS=env_s", "-e qa", "", {"DBCI_SCHEMAS": "env_s"}, "qa", "env_s"),
]
# The table's columns for every command: the default, -e, -e + --url, DBCI_URL, -e over
# DBCI_ENVIRONMENT, options after the command (over both variables). The last two rows of
# VARIANTS (DBCI_ENVIRONMENT alone, -e with DBCI_URL) run for migrate and check.
TABLE = VARIANTS[:6]


# The environment whose settings a variant uses (report.json's `environment`).
ENVIRONMENT_OF = {**{schema: env for env, schema in SCHEMA.items()}, "cli_s": "qa", "env_s": "qa"}


def ids(variants: list[Variant]) -> list[str]:
    return [v.label for v in variants]


@dataclass
class Ran:
    done: subprocess.CompletedProcess[str]
    before: Fingerprint
    after: Fingerprint

    @property
    def changed(self) -> set[tuple[str, str]]:
        return {
            (db, schema)
            for db in self.before
            for schema in set(self.before[db]) | set(self.after[db])
            if self.before[db].get(schema) != self.after[db].get(schema)
        }

    def history(self, db: str, schema: str) -> tuple[tuple[Any, ...], ...]:
        """The rows of the history table there, in installed_rank order, without the rank."""
        return tuple(row[1:] for row in self.after[db][schema][1])

    def tables(self, db: str, schema: str) -> frozenset[str]:
        return self.after[db].get(schema, (frozenset(), ()))[0]

    def explain(self) -> str:
        return f"exit {self.done.returncode}\n{self.done.stdout}\n{self.done.stderr}"


def run(
    world: World,
    command: str,
    v: Variant,
    *,
    state: str,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    corrupt: tuple[str, str] | None = None,
) -> Ran:
    world.reset(state, corrupt)
    shutil.rmtree(world.root / "dbci-report", ignore_errors=True)
    before = world.fingerprint()
    variables: dict[str, str | None] = dict.fromkeys(TARGET_VARIABLES)
    variables.update({k: world.resolve(val) for k, val in (*v.env, *(env or {}).items())})
    args = [world.resolve(a) for a in (*v.before, command, *v.after, *extra)]
    done = run_dbci("--project", world.root, *args, env=variables)
    return Ran(done, before, world.fingerprint())


def database_named(text: str, world: World) -> str:
    """Which of the five databases a `Database: <url> (...)` line or URL names."""
    url = text.split(" (", 1)[0].strip()
    name = make_url(url).database
    found = [key for key, real in world.names.items() if real == name]
    assert len(found) == 1, f"{text!r} names none of the databases"
    return found[0]


def report(world: World) -> dict[str, Any]:
    return json.loads((world.root / "dbci-report" / "report.json").read_text())


def snapshot_tables(path: Path) -> set[tuple[str, str]]:
    objects = json.loads(path.read_text())["objects"]
    return {(o["schema"], o["name"]) for o in objects if o["type"] == "table"}


# --- migrate, baseline, undo, repair: what changed, and only there ------------------------


@pytest.mark.parametrize("v", VARIANTS + SCHEMA_VARIANTS, ids=ids(VARIANTS + SCHEMA_VARIANTS))
def test_migrate(world: World, v: Variant) -> None:
    ran = run(world, "migrate", v, state="fresh")
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == {(v.database, v.schema)}, ran.explain()
    assert ran.tables(v.database, v.schema) == {"t1", "t2", "t3", "flyway_schema_history"}
    schema_row = (None, "<< Flyway Schema Creation >>", "SCHEMA", f'"{v.schema}"', None, True)
    assert ran.history(v.database, v.schema) == (schema_row, V1_ROW, V2_ROW, V3_ROW)


@pytest.mark.parametrize("v", TABLE, ids=ids(TABLE))
def test_baseline(world: World, v: Variant) -> None:
    ran = run(world, "baseline", v, state="fresh")
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == {(v.database, v.schema)}, ran.explain()
    rows = ran.history(v.database, v.schema)
    assert [r[:3] for r in rows if r[2] != "SCHEMA"] == [("1", "<< Flyway Baseline >>", "BASELINE")]


@pytest.mark.parametrize("v", TABLE, ids=ids(TABLE))
def test_undo(world: World, v: Variant) -> None:
    ran = run(world, "undo", v, state="applied")
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == {(v.database, v.schema)}, ran.explain()
    assert ran.tables(v.database, v.schema) == {"t1", "flyway_schema_history"}
    undo = ran.history(v.database, v.schema)[2]
    assert undo[:4] == ("2", "two", "UNDO_SQL", "U2__two.sql") and undo[5] is True


@pytest.mark.parametrize("v", TABLE, ids=ids(TABLE))
def test_repair(world: World, v: Variant) -> None:
    ran = run(world, "repair", v, state="applied", corrupt=("*", "*"))
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == {(v.database, v.schema)}, ran.explain()
    assert ran.history(v.database, v.schema) == (V1_ROW, V2_ROW)  # realigned with the file
    assert ran.history("uat", "uat_app")[0][4] == WRONG_CHECKSUM  # untouched elsewhere


# --- info, validate: read-only, the database they name --------------------------------------


@pytest.mark.parametrize("v", TABLE, ids=ids(TABLE))
def test_info(world: World, v: Variant) -> None:
    ran = run(world, "info", v, state="applied", extra=("--output", "json"))
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == set(), ran.explain()
    out = json.loads(ran.done.stdout)
    assert database_named(out["database"], world) == v.database  # the "Database:" line
    assert out["schemaName"] == v.schema and out["schemaVersion"] == "2", out


@pytest.mark.parametrize("v", TABLE, ids=ids(TABLE))
def test_validate(world: World, v: Variant) -> None:
    """Only the expected (database, schema) has V1's checksum changed: validating anything
    else would pass."""
    corrupt = (v.database, v.schema)
    ran = run(world, "validate", v, state="applied", corrupt=corrupt, extra=("--output", "json"))
    assert ran.done.returncode == 1, ran.explain()
    assert ran.changed == set(), ran.explain()
    out = json.loads(ran.done.stdout)
    assert database_named(out["database"], world) == v.database
    assert [p["kind"] for p in out["problems"]] == ["checksum"], out


# --- clean: where allowed, and never a protected database -----------------------------------

NO_CLEAN_GUARD = {"DBCI_CLEAN_DISABLED": "false"}
CLEANS = [
    # (variant, extra variables, what is cleaned: None = refused, exit 2, nothing touched)
    (VARIANTS[0], {}, ("dev", "dev_app")),  # dev: provisioner = "clean"
    (VARIANTS[1], {}, ("qa", "qa_app")),
    # provisioner = "clean" allows clean of qa's own url only
    (VARIANTS[2], {}, None),
    (VARIANTS[2], NO_CLEAN_GUARD, ("other", "qa_app")),
    (VARIANTS[3], {}, None),
    (VARIANTS[3], NO_CLEAN_GUARD, ("other", "dev_app")),
    (VARIANTS[4], {}, ("qa", "qa_app")),  # uat (DBCI_ENVIRONMENT) has no clean provisioner
    (VARIANTS[5], NO_CLEAN_GUARD, ("other", "qa_app")),
    (VARIANTS[6], {}, ("qa", "qa_app")),
    # prod is protected (the default list), whatever its own flags say, however it is named
    (variant("-e prod", "-e prod", "", {}, "prod", "prod_app"), {}, None),
    (variant("DBCI_ENVIRONMENT=prod", "", "", {"DBCI_ENVIRONMENT": "prod"}, "", ""), {}, None),
    (variant("-e qa --url prod", "-e qa --url @prod", "", {}, "", ""), NO_CLEAN_GUARD, None),
    (variant("cmd -e qa --url prod", "", "-e qa --url @prod", {}, "", ""), NO_CLEAN_GUARD, None),
    (variant("DBCI_URL=prod", "", "", {"DBCI_URL": "@prod"}, "", ""), NO_CLEAN_GUARD, None),
    (
        variant("DBCI_URL=prod as someone@localhost", "", "", {"DBCI_URL": "@prod:alias"}, "", ""),
        NO_CLEAN_GUARD,
        None,
    ),
    (variant("-e alias (prod's database)", "-e alias", "", {}, "", ""), NO_CLEAN_GUARD, None),
]


@pytest.mark.parametrize(
    ("v", "env", "cleaned"),
    CLEANS,
    ids=[f"{v.label}{' +cleanDisabled=false' if env else ''}" for v, env, _ in CLEANS],
)
def test_clean(
    world: World, v: Variant, env: dict[str, str], cleaned: tuple[str, str] | None
) -> None:
    ran = run(world, "clean", v, state="applied", env=env)
    if cleaned is None:
        assert ran.done.returncode == 2, ran.explain()
        assert ran.changed == set(), ran.explain()
        assert "clean refused" in ran.done.stderr, ran.explain()
        assert len(ran.done.stderr.strip().splitlines()) == 1, ran.explain()
        return
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == {cleaned}, ran.explain()
    assert ran.tables(*cleaned) == set()


def test_clean_never_reaches_prod_through_a_query_string_dbname(world: World) -> None:
    """`postgresql://…/other?dbname=<prod>` connects to prod (libpq: a query parameter
    overrides the path). Clean must refuse it as prod's database."""
    v = variant("DBCI_URL=other?dbname=prod", "", "", {"DBCI_URL": "@prod:dbname"}, "", "")
    ran = run(world, "clean", v, state="applied", env=NO_CLEAN_GUARD)
    assert ("prod", "dev_app") not in ran.changed, ran.explain()
    assert ran.done.returncode == 2, ran.explain()


# --- check, pipeline, build: the target read, the build made for it -------------------------


def assert_checked(world: World, ran: Ran, v: Variant) -> None:
    """The check read the expected database, in the expected environment's schema: its
    drift is that database's own `here_<db>` table, its change the pending V3 there, and
    its plan names the database."""
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == set(), ran.explain()
    data = report(world)
    assert data["environment"] == ENVIRONMENT_OF[v.schema], data["environment"]
    assert database_named(data["plan"]["database"], world) == v.database
    drift = {(i["schema"], i["name"]) for i in data["drift"]["items"]}
    assert drift == {(v.schema, f"here_{v.database}")}, data["drift"]
    objects = [(o["change"], o["schema"], o["name"]) for o in data["changes"]["objects"]]
    assert objects == [("Add", v.schema, "t3")], objects
    target = snapshot_tables(world.root / "dbci-report" / "target-snapshot.json")
    assert target == {(v.schema, n) for n in ("t1", "t2", f"here_{v.database}")}


def assert_built_for(world: World, build: dict[str, Any], v: Variant) -> None:
    """Built on [environments.build]'s database, in the target's schema alone: the history
    and the tables of the migrations there, and in no other schema."""
    assert build["status"] == "passed" and build["provisioner"] == "clean", build
    described = build["database"]  # "<url>", or "<provisioner> (<url>)"
    url = described.split("(", 1)[1].rstrip(")") if "(" in described else described
    assert make_url(url).database == world.names["build"], described
    assert world.built() == {v.schema: {"t1", "t2", "t3", "flyway_schema_history"}}
    built = snapshot_tables(world.root / "dbci-report" / "build-snapshot.json")
    assert built == {(v.schema, "t1"), (v.schema, "t2"), (v.schema, "t3")}


@pytest.mark.parametrize("v", VARIANTS, ids=ids(VARIANTS))
def test_check(world: World, v: Variant) -> None:
    ran = run(world, "check", v, state="marked", extra=("--changes", "--drift"))
    assert_checked(world, ran, v)


@pytest.mark.parametrize("v", TABLE + SCHEMA_VARIANTS[:1], ids=ids(TABLE + SCHEMA_VARIANTS[:1]))
def test_pipeline(world: World, v: Variant) -> None:
    """The check side reads the target; the build side touches neither the target nor the
    --url database (nor any of the five): it builds on the build server, for the target."""
    if v.schema not in SCHEMA.values():  # --schemas: a schema the databases do not have
        ran = run(world, "pipeline", v, state="fresh", extra=("--changes", "--no-verify-undo"))
        assert ran.done.returncode == 0, ran.explain()
        assert ran.changed == set(), ran.explain()
        assert database_named(report(world)["plan"]["database"], world) == v.database
    else:
        ran = run(
            world, "pipeline", v, state="marked", extra=("--changes", "--drift", "--no-verify-undo")
        )
        assert_checked(world, ran, v)
    assert_built_for(world, report(world)["build"], v)


@pytest.mark.parametrize("v", TABLE[2:4], ids=ids(TABLE[2:4]))
def test_build(world: World, v: Variant) -> None:
    ran = run(world, "build", v, state="fresh", extra=("--no-verify-undo",))
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == set(), ran.explain()
    assert_built_for(world, report(world)["build"], v)


# --- deploy -------------------------------------------------------------------------------


@pytest.mark.parametrize("v", TABLE, ids=ids(TABLE))
def test_deploy(world: World, v: Variant) -> None:
    """V1, V2 applied by "Flyway" (no dbci snapshot): the drift gate rebuilds them on the
    build server in the target's schema (a build in another schema is drift, and the
    deploy is refused); then V3 goes to the expected database only."""
    ran = run(world, "deploy", v, state="applied")
    assert ran.done.returncode == 0, ran.explain()
    if "-e" in v.before + v.after:  # (else: see test_deploy_report_names_the_environment_deployed)
        assert report(world)["environment"] == ENVIRONMENT_OF[v.schema]  # as check's says
    assert ran.changed == {(v.database, v.schema)}, ran.explain()
    assert world.built() == {v.schema: {"t1", "t2", "flyway_schema_history"}}  # the rebuild
    assert ran.history(v.database, v.schema) == (V1_ROW, V2_ROW, V3_ROW)
    assert ran.tables(v.database, v.schema) == {
        "t1",
        "t2",
        "t3",
        "flyway_schema_history",
        "dbci_snapshot_history",
    }


@pytest.mark.parametrize(
    "v",
    [variant("DBCI_ENVIRONMENT=qa", "", "", {"DBCI_ENVIRONMENT": "qa"}, "qa", "qa_app")],
    ids=["DBCI_ENVIRONMENT=qa"],
)
def test_deploy_report_names_the_environment_deployed(world: World, v: Variant) -> None:
    """report.json's `environment` is the environment deployed, however it was named, as
    check's report says it (the PR/MR comment's marker and header read it)."""
    ran = run(world, "deploy", v, state="fresh")
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == {(v.database, v.schema)}, ran.explain()
    assert report(world)["environment"] == "qa"


ONE_DATABASE = "names one database"
UNSET = "DBCI_TEST_UNSET_USER is not set"
DEPLOY_TARGETS = [
    # (label, before, after, variables, config, deployed; or the error of an exit 2)
    # config: "" as for every test; "targets": [dbci.deploy] targets = ["qa", "uat"];
    # "login": [flyway] environment = "login", whose login's variables are not set
    ("-e qa,uat", "-e qa,uat", "", {}, "", {"qa", "uat"}),
    ("DBCI_ENVIRONMENT=qa,uat", "", "", {"DBCI_ENVIRONMENT": "qa,uat"}, "", {"qa", "uat"}),
    # a URL names one database: with several targets it is refused, applied to none
    ("-e qa,uat --url other", "-e qa,uat --url @other", "", {}, "", ONE_DATABASE),
    ("cmd -e qa,uat --url other", "", "-e qa,uat --url @other", {}, "", ONE_DATABASE),
    ("-e qa,uat, DBCI_URL=other", "-e qa,uat", "", {"DBCI_URL": "@other"}, "", ONE_DATABASE),
    (
        "DBCI_ENVIRONMENT=qa,uat DBCI_URL=other",
        "",
        "",
        {"DBCI_ENVIRONMENT": "qa,uat", "DBCI_URL": "@other"},
        "",
        ONE_DATABASE,
    ),
    # [dbci.deploy] targets: over [flyway] environment, under the rest
    ("targets", "", "", {}, "targets", {"qa", "uat"}),
    ("targets, DBCI_ENVIRONMENT=prod", "", "", {"DBCI_ENVIRONMENT": "prod"}, "targets", {"prod"}),
    ("targets, -e dev", "-e dev", "", {}, "targets", {"dev"}),
    ("targets, DBCI_URL=other", "", "", {"DBCI_URL": "@other"}, "targets", {"other"}),
    # deploying to qa does not use the default environment: its secrets need not be set
    # (wrong: exit 2, the default environment's login resolved)
    ("default login, -e qa", "-e qa", "", {}, "login", {"qa"}),
    ("default login, DBCI_ENVIRONMENT=qa", "", "", {"DBCI_ENVIRONMENT": "qa"}, "login", {"qa"}),
    ("default login", "", "", {}, "login", UNSET),  # the default is the target: it is used
]


@pytest.mark.parametrize(
    ("label", "before", "after", "env", "config", "deployed"),
    DEPLOY_TARGETS,
    ids=[c[0] for c in DEPLOY_TARGETS],
)
def test_deploy_targets(
    world: World,
    label: str,
    before: str,
    after: str,
    env: dict[str, str],
    config: str,
    deployed: set[str] | str,
) -> None:
    listed = '[dbci.deploy]\ntargets = ["qa", "uat"]\n' if config == "targets" else ""
    world.write_config(listed, default="login" if config == "login" else "dev")
    try:
        v = variant(label, before, after, env, "", "")
        ran = run(world, "deploy", v, state="fresh")
        if config == "login" and not isinstance(deployed, str):
            # the report stage needs no database, nor the default environment's login
            rendered = run_dbci(
                "--project", world.root, "report", env=dict.fromkeys(TARGET_VARIABLES)
            )
            assert rendered.returncode == 0, rendered.stderr
    finally:
        world.write_config()
    if isinstance(deployed, str):
        assert ran.done.returncode == 2, ran.explain()
        assert deployed in ran.done.stderr, ran.explain()
        assert ran.changed == set(), ran.explain()
        return
    assert ran.done.returncode == 0, ran.explain()
    # a URL is deployed with the default environment's settings (dev_app), as migrate does
    expected = {(db, SCHEMA.get(db, "dev_app")) for db in deployed}
    assert ran.changed == expected, ran.explain()
    for db, schema in expected:
        assert ran.history(db, schema)[1:] == (V1_ROW, V2_ROW, V3_ROW)


# --- the login: --user > DBCI_USER > a login written in --url/DBCI_URL > the file's ----------

LOGINS = [
    # (variant, what happens: exit code, the (db, schema) migrated and its installed_by)
    # a URL given with its own login: the file's user and password (whose variables are
    # not set) are not used (wrong: exit 2, "DBCI_TEST_UNSET_USER is not set")
    (variant("-e login --url other", "-e login --url @other", "", {}, "other", "login_app"), 0),
    (
        variant("-e login, DBCI_URL=other", "-e login", "", {"DBCI_URL": "@other"}, "other", ""),
        0,
    ),
    # the environment's own url, or a URL without a login: the file's login is needed
    (variant("-e login", "-e login", "", {}, "", ""), 2),
    (variant("-e login --url other (no login)", "-e login --url @other:nouser", "", {}, "", ""), 2),
    # --user over DBCI_USER (wrong: exit 3, the role does not exist)
    (
        variant(
            "-e qa --user postgres, DBCI_USER=nobody",
            "-e qa",
            "--user postgres",
            {"DBCI_USER": "dbci_no_such_role"},
            "qa",
            "qa_app",
        ),
        0,
    ),
    # DBCI_USER over the login in the environment's url (wrong: exit 0)
    (
        variant("-e qa, DBCI_USER=nobody", "-e qa", "", {"DBCI_USER": "dbci_no_such_role"}, "", ""),
        3,
    ),
]


@pytest.mark.parametrize(("v", "code"), LOGINS, ids=[v.label for v, _ in LOGINS])
def test_login(world: World, v: Variant, code: int) -> None:
    ran = run(world, "migrate", v, state="fresh")
    assert ran.done.returncode == code, ran.explain()
    if code:
        assert ran.changed == set(), ran.explain()
        if code == 2:
            assert "DBCI_TEST_UNSET_USER is not set" in ran.done.stderr, ran.explain()
        else:
            assert "dbci_no_such_role" in ran.done.stderr, ran.explain()
        return
    schema = v.schema or "login_app"
    assert ran.changed == {(v.database, schema)}, ran.explain()
    installed_by = world.conns[v.database].execute(
        sql.SQL("SELECT DISTINCT installed_by FROM {}.flyway_schema_history").format(
            sql.Identifier(schema)
        )
    )
    user = make_url(world.url(v.database)).username
    assert installed_by.fetchall() == [(user,)]


# --- diff's `migrations` source: built for the environment the command line names ---------

DIFFS = [
    # (wrong: built for dev, the file's default, in dev_app: every table differs, exit 1)
    variant("-e qa", "-e qa", "", {}, "qa", "qa_app"),
    # (wrong: built for uat, in uat_app)
    variant("cmd -e qa, DBCI_ENVIRONMENT=uat", "", "-e qa", {"DBCI_ENVIRONMENT": "uat"}, "qa", ""),
]


@pytest.mark.parametrize("v", DIFFS, ids=ids(DIFFS))
def test_diff_migrations_source(world: World, v: Variant) -> None:
    """qa holds V1 and V2 (t1, t2 in qa_app): the migrations up to 2, built for qa, are the
    same schema. Nothing of the five databases changes; the build environment holds the
    build, in qa's schema."""
    extra = ("--source", "migrations", "--target", "env:qa", "--build-version", "2")
    ran = run(world, "diff", v, state="applied", extra=(*extra, "--exit-code"))
    assert ran.done.returncode == 0, ran.explain()
    assert ran.changed == set(), ran.explain()
    assert world.built() == {"qa_app": {"t1", "t2", "flyway_schema_history"}}
