"""The bad input corpus (issue 12): config files, migration names and contents, command-line
arguments and action inputs that are wrong, each run the way a user or GitHub runs dbci.

Every case must end with the documented exit code (2 for bad input, 3 only for a database
that cannot be reached), print exactly one line on stderr (`dbci: error: …` naming the file
and line, or the environment; for the action, one `::error::…` line on stdout and nothing
on stderr), show no traceback, and apply nothing: the database (a SQLite file for most
cases, a fresh PostgreSQL or MariaDB database for a share of them) is the same after the
run as before it. Migration cases put a valid V1 beside the bad file: dbci reads and checks
every file before it applies anything, so V1 must not be applied either.

The table below is the corpus: one `Case` per bad input, its group (the scenario family in
the reliability figures), what it writes and runs, the exit code and the text that the one
error line must hold.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import postgres
from support.projects import write_project

from dbci.engines.sqlserver.engine import SQLServerDatabase
from dbci.errors import EXIT_INPUT, InputError
from dbci.migrate.discovery import MigrationScript
from dbci.migrate.naming import MigrationKind
from dbci.migrate.prepare import prepare
from dbci.migrate.version import Version
from dbci.settings.placeholders import Placeholders
from dbci.settings.urls import DatabaseUrl

ENTRYPOINT = Path(__file__).resolve().parents[2] / "entrypoint.py"
HISTORY = "flyway_schema_history"
SECRET = "Sup3r-S3cret-pw"

CONFIG = "bad input: config"
NAMES = "bad input: migration names"
CONTENTS = "bad input: migration contents"
ARGUMENTS = "bad input: arguments"
ACTION = "bad input: action inputs"

V1 = {"V1__first.sql": "CREATE TABLE first_table (id INT);\n"}
V12 = {**V1, "V2__second.sql": "CREATE TABLE second_table (id INT);\n"}
STRICT = "[flyway]\nvalidateMigrationNaming = true\n"
DEV = '[environments.dev]\nurl = "@URL@"\n'  # @URL@: the case's database

# Ten megabytes of good statements before the bad line: the error still names its line,
# and reading and splitting that much stays quick.
_BIG_LINES = 400_000
_BIG = b"INSERT INTO first_table VALUES (1);\n" * _BIG_LINES
_GARBAGE = random.Random(12).randbytes(4096)


@dataclass(frozen=True)
class Link:
    """A symbolic link to `target` (which need not exist)."""

    target: str


@dataclass(frozen=True)
class Case:
    """One bad input: what the project holds, what runs, and how it must end."""

    id: str
    family: str
    args: tuple[str, ...] = ("migrate",)
    files: Mapping[str, str | bytes] = field(default_factory=lambda: V1)  # migrations/
    toml: str | bytes | None = None
    toml_name: str = "dbci.toml"
    other: Mapping[str, str | bytes | Link | None] = field(default_factory=dict)  # None: a dir
    env: Mapping[str, str] = field(default_factory=dict)
    code: int = 2
    expect: tuple[str, ...] = ()  # what the one error line holds
    engine: str = "sqlite"  # the database: sqlite | postgresql | mysql
    url: bool = True  # pass --url <database> (else the config or nothing names it)
    project: bool = True  # pass --project <dir> (the run's directory is the project anyway)
    applied: Mapping[str, str] | None = None  # migrated first: the state the case starts from
    action: Mapping[str, str] | None = None  # run entrypoint.py with these inputs instead


CASES: list[Case] = [
    # ---- config files ------------------------------------------------------------------
    Case(
        "toml-unclosed-array",
        CONFIG,
        toml='[flyway]\nlocations = ["a"\ntable = "x"\n',
        expect=("dbci.toml:3:1: invalid TOML",),
    ),
    Case(
        "toml-unclosed-table-header",
        CONFIG,
        toml="[flyway\ntable = 'x'\n",
        expect=("dbci.toml:1:", "invalid TOML"),
    ),
    Case(
        "toml-duplicate-key",
        CONFIG,
        toml='[flyway]\ntable = "a"\ntable = "b"\n',
        expect=("dbci.toml:3:", "invalid TOML"),
    ),
    Case(
        "flyway-toml-invalid",
        CONFIG,
        toml="[flyway]\ntable = \n",
        toml_name="flyway.toml",
        expect=("flyway.toml:2:", "invalid TOML"),
    ),
    Case(
        "config-not-utf8",
        CONFIG,
        toml=b'[flyway]\n\ntable = "caf\xe9"\n',
        expect=("dbci.toml:3: config is not UTF-8",),
    ),
    Case(
        "config-is-a-directory",
        CONFIG,
        other={"dbci.toml": None},
        expect=("dbci.toml: is a directory, not a config file",),
    ),
    Case(
        "flyway-toml-is-a-directory",
        CONFIG,
        other={"flyway.toml": None},
        expect=("flyway.toml: is a directory",),
    ),
    Case(
        "wrong-type-bool",
        CONFIG,
        toml="[flyway]\noutOfOrder = 3\n",
        expect=("dbci.toml:2: flyway.outOfOrder must be true or false",),
    ),
    Case(
        "wrong-type-int",
        CONFIG,
        toml='[flyway]\nconnectTimeout = "soon"\n',
        expect=("dbci.toml:2: flyway.connectTimeout must be a whole number",),
    ),
    Case(
        "connect-timeout-zero",
        CONFIG,
        toml="[flyway]\nconnectTimeout = 0\n",
        expect=("dbci.toml:2: flyway.connectTimeout must be at least 1",),
    ),
    Case(
        "connect-timeout-negative-mysql",
        CONFIG,
        engine="mysql",
        toml="[flyway]\nconnectTimeout = -1\n",
        expect=("dbci.toml:2: flyway.connectTimeout must be at least 1",),
    ),
    Case(
        "connect-timeout-of-environment",
        CONFIG,
        toml=DEV + "connectTimeout = -5\n",
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("dbci.toml:3: environments.dev.connectTimeout must be at least 1",),
    ),
    Case(
        "locations-of-numbers",
        CONFIG,
        toml="[flyway]\nlocations = [1, 2]\n",
        expect=("dbci.toml:2: flyway.locations must be a list of strings",),
    ),
    Case(
        "location-unknown-scheme",
        CONFIG,
        toml='[flyway]\nlocations = ["s3:bucket/sql"]\n',
        expect=("dbci.toml:2: flyway.locations: unsupported location 's3:bucket/sql'",),
    ),
    Case(
        "location-missing-and-required",
        CONFIG,
        toml='[flyway]\nlocations = ["filesystem:nowhere"]\nfailOnMissingLocations = true\n',
        expect=("location 'filesystem:nowhere' not found",),
    ),
    Case(
        "placeholders-not-a-table",
        CONFIG,
        toml='[flyway]\nplaceholders = "owner=me"\n',
        expect=("dbci.toml:2: flyway.placeholders must be a table",),
    ),
    Case(
        "table-empty",
        CONFIG,
        toml='[flyway]\ntable = ""\n',
        expect=("dbci.toml:2: flyway.table must not be empty",),
    ),
    Case(
        "separator-empty",
        CONFIG,
        toml='[flyway]\nsqlMigrationSeparator = ""\n',
        expect=("dbci.toml:2: flyway.sqlMigrationSeparator must not be empty",),
    ),
    Case(
        "suffix-empty",
        CONFIG,
        toml='[flyway]\nsqlMigrationSuffixes = [""]\n',
        expect=("dbci.toml:2: flyway.sqlMigrationSuffixes must list non-empty file suffixes",),
    ),
    Case(
        "placeholder-prefix-empty",
        CONFIG,
        toml='[flyway]\nplaceholderPrefix = ""\n',
        expect=("dbci.toml:2: flyway.placeholderPrefix must not be empty",),
    ),
    Case(
        "encoding-unknown",
        CONFIG,
        toml='[flyway]\nencoding = "klingon"\n',
        expect=("dbci.toml:2: flyway.encoding is not an encoding", "'klingon'"),
    ),
    Case(
        "target-not-a-version",
        CONFIG,
        toml='[flyway]\ntarget = "x.y"\n',
        expect=("dbci.toml:2: flyway.target: invalid version 'x.y'",),
    ),
    Case(
        "target-of-environment",
        CONFIG,
        toml=DEV + '[environments.dev.flyway]\ntarget = "v2"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("dbci.toml:4: environments.dev.flyway.target: invalid version 'v2'",),
    ),
    Case(
        "baseline-version-not-a-version",
        CONFIG,
        toml='[flyway]\nbaselineVersion = "abc"\n',
        args=("baseline",),
        expect=("dbci.toml:2: flyway.baselineVersion: invalid version 'abc'",),
    ),
    Case(
        "ignore-pattern-unknown-state",
        CONFIG,
        toml='[flyway]\nignoreMigrationPatterns = ["*:sideways"]\n',
        args=("validate",),
        expect=("dbci.toml:2: flyway.ignoreMigrationPatterns: invalid", "'*:sideways'"),
    ),
    Case(
        "flyway-not-a-table",
        CONFIG,
        toml="flyway = 3\n",
        expect=("dbci.toml:1: flyway must be a table",),
    ),
    Case(
        "environment-not-a-table",
        CONFIG,
        toml="[environments]\ndev = 3\n",
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("dbci.toml:2: environments.dev must be a table",),
    ),
    Case(
        "environment-flyway-not-a-table",
        CONFIG,
        toml=DEV + 'flyway = "x"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("dbci.toml:3: environments.dev.flyway must be a table",),
    ),
    Case(
        "unknown-environment",
        CONFIG,
        toml=DEV,
        args=("-e", "prod", "migrate"),
        url=False,
        expect=("unknown environment 'prod' in dbci.toml (known: dev)",),
    ),
    Case(
        "unknown-environment-no-config",
        CONFIG,
        args=("-e", "prod", "info"),
        url=False,
        expect=("unknown environment 'prod': no dbci.toml or flyway.toml",),
    ),
    Case(
        "unknown-environment-from-variable",
        CONFIG,
        toml=DEV,
        env={"DBCI_ENVIRONMENT": "uat"},
        url=False,
        expect=("unknown environment 'uat' in dbci.toml (known: dev)",),
    ),
    Case(
        "env-reference-unset-url",
        CONFIG,
        toml='[environments.dev]\nurl = "${env.DBCI_T_UNSET_URL}"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("dbci.toml:2: environments.dev.url uses ${env.DBCI_T_UNSET_URL}", "not set"),
    ),
    Case(
        "env-reference-unset-password",
        CONFIG,
        toml=DEV + 'user = "postgres"\npassword = "${env.DBCI_T_UNSET_PW}"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("dbci.toml:4: environments.dev.password uses ${env.DBCI_T_UNSET_PW}",),
    ),
    Case(
        "env-reference-unset-placeholder",
        CONFIG,
        toml='[flyway.placeholders]\nowner = "${env.DBCI_T_UNSET_OWNER}"\n',
        expect=("dbci.toml:2: flyway.placeholders.owner uses ${env.DBCI_T_UNSET_OWNER}",),
    ),
    Case(
        "env-reference-unset-second-environment",
        CONFIG,
        toml=DEV + '\n[environments.prod]\nurl = "${env.DBCI_T_UNSET_PROD}"\n',
        args=("-e", "prod", "info"),
        url=False,
        expect=("dbci.toml:5: environments.prod.url uses ${env.DBCI_T_UNSET_PROD}",),
    ),
    Case(
        "url-without-driver",
        CONFIG,
        toml='[environments.dev]\nurl = "db.example.com:5432/app"\n',
        args=("-e", "dev", "info"),
        url=False,
        expect=("environment 'dev': URL", "names no database driver"),
    ),
    Case(
        "url-unknown-scheme",
        CONFIG,
        toml='[environments.dev]\nurl = "oracle://scott:tiger@db/orcl"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("environment 'dev': unsupported database 'oracle'",),
    ),
    Case(
        "url-unknown-driver",
        CONFIG,
        toml='[environments.dev]\nurl = "postgresql+odbc://u@db/app"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("environment 'dev': unknown driver 'odbc' for postgresql",),
    ),
    Case(
        "url-not-a-string",
        CONFIG,
        toml='[environments.dev]\nurl = ["jdbc:sqlite:app.db"]\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("dbci.toml:2: environments.dev.url must be a string",),
    ),
    Case(
        "url-bad-jdbc-port-hides-password",
        CONFIG,
        toml=f'[environments.dev]\nurl = "jdbc:postgresql://db:x/app?password={SECRET}"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("environment 'dev': bad port in JDBC URL", "password=***"),
    ),
    Case(
        "url-unknown-postgresql-option",
        CONFIG,
        engine="postgresql",
        toml='[environments.dev]\nurl = "@URL@?nosuch=1"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("environment 'dev'", 'invalid connection option "nosuch"'),
    ),
    Case(
        "url-unknown-mysql-option",
        CONFIG,
        engine="mysql",
        toml='[environments.dev]\nurl = "@URL@?bogus=1"\n',
        args=("-e", "dev", "migrate"),
        url=False,
        expect=("environment 'dev'", "unknown MySQL connection option(s) bogus"),
    ),
    Case(
        "provisioner-unknown",
        CONFIG,
        toml='[environments.build]\nurl = "@URL@"\nprovisioner = "teleport"\n',
        args=("build",),
        url=False,
        expect=("environment 'build': unknown provisioner 'teleport'",),
    ),
    Case(
        "default-schema-missing-on-sqlite",
        CONFIG,
        toml='[flyway]\ndefaultSchema = "sales"\n',
        expect=("SQLite has no schema 'sales'",),
    ),
    Case(
        "create-schemas-false-postgresql",
        CONFIG,
        engine="postgresql",
        toml='[flyway]\nschemas = ["sales"]\ncreateSchemas = false\n',
        expect=("schema 'sales' does not exist and createSchemas is false",),
    ),
    Case(
        "dbci-protected-not-a-list",
        CONFIG,
        applied=V1,
        files=V1,
        toml=DEV + 'provisioner = "clean"\n\n[dbci]\nprotected = "prod"\n',
        args=("-e", "dev", "clean"),
        url=False,
        expect=("[dbci] protected must be a list",),
    ),
    Case(
        "clean-of-protected-environment",
        CONFIG,
        applied=V1,
        files=V1,
        toml='[environments.prod]\nurl = "@URL@"\nprovisioner = "clean"\n',
        args=("-e", "prod", "clean"),
        url=False,
        expect=("clean refused: environment 'prod' is protected",),
    ),
    Case(
        "clean-not-allowed-postgresql",
        CONFIG,
        engine="postgresql",
        applied=V1,
        files=V1,
        toml=DEV,
        args=("-e", "dev", "clean"),
        url=False,
        expect=("clean refused on environment 'dev'",),
    ),
    Case(
        "dbci-check-fail-on-drift-not-bool",
        CONFIG,
        toml='[dbci.check]\nfail_on_drift = "yes"\n',
        args=("check", "--drift"),
        expect=("dbci.toml:2: dbci.check.fail_on_drift must be true or false",),
    ),
    Case(
        "dbci-deploy-not-a-table",
        CONFIG,
        toml=DEV + '\n[dbci]\ndeploy = "all"\n',
        args=("deploy", "-e", "dev"),
        url=False,
        expect=("dbci.toml:5: dbci.deploy must be a table",),
    ),
    Case(
        "dbci-deploy-fail-on-drift-not-bool",
        CONFIG,
        toml=DEV + '\n[dbci.deploy]\nfail_on_drift = "no"\n',
        args=("deploy", "-e", "dev"),
        url=False,
        expect=("dbci.toml:5: dbci.deploy.fail_on_drift must be true or false",),
    ),
    Case(
        "dbci-code-fail-on-unknown",
        CONFIG,
        toml='[dbci.check.code]\nfail_on = "sometimes"\n',
        args=("check", "--code"),
        expect=("dbci.toml", "fail_on = 'sometimes' is not a severity"),
    ),
    Case(
        "dbci-tests-not-a-string",
        CONFIG,
        toml="[dbci]\ntests = 5\n",
        args=("build", "--dialect", "sqlite"),
        url=False,
        expect=("dbci.toml:2: dbci.tests must be a string",),
    ),
    Case(
        "shadow-environment-unknown",
        CONFIG,
        toml='[flywayDesktop]\nshadowEnvironment = "shadow"\n',
        args=("build",),
        url=False,
        expect=("unknown build environment 'shadow'",),
    ),
    Case(
        "variable-not-a-bool",
        CONFIG,
        env={"DBCI_OUT_OF_ORDER": "maybe"},
        expect=("DBCI_OUT_OF_ORDER must be true or false, not 'maybe'",),
    ),
    Case(
        "variable-config-missing",
        CONFIG,
        env={"DBCI_CONFIG": "/nonexistent/dbci.toml"},
        expect=("config file not found: /nonexistent/dbci.toml",),
    ),
    Case(
        "schemas-empty-name",
        CONFIG,
        toml='[flyway]\nschemas = ["main", ""]\n',
        expect=("dbci.toml:2: flyway.schemas must not name an empty schema",),
    ),
    # ---- migration file names ----------------------------------------------------------
    Case(
        "single-underscore",
        NAMES,
        files={**V1, "V2_second.sql": "SELECT 1;\n"},
        toml=STRICT,
        # Flyway's ResourceNameParser: no separator, so the whole rest is the version.
        expect=(
            "migrations/V2_second.sql: invalid migration file name: Invalid versioned "
            "migration name format: V2_second.sql (could not recognise version number "
            "2_second)",
        ),
    ),
    Case(
        "version-letters",
        NAMES,
        files={**V1, "Vabc__x.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=("migrations/Vabc__x.sql: invalid migration file name", "version number abc"),
    ),
    Case(
        "version-with-letter-part",
        NAMES,
        files={**V1, "V1.2.x__y.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=("migrations/V1.2.x__y.sql: invalid migration file name", "version number 1.2.x"),
    ),
    Case(
        "version-empty",
        NAMES,
        files={**V1, "V__nothing.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=("migrations/V__nothing.sql: invalid migration file name",),
    ),
    Case(
        "version-with-blank",
        NAMES,
        files={**V1, "V2 __blank.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=("migrations/V2 __blank.sql: invalid migration file name",),
    ),
    Case(
        # `V2.sql` is version 2 with no description in Flyway (ResourceNameParser): valid.
        # A prefix and separator with no version between them is not.
        "missing-version",
        NAMES,
        files={**V1, "V__x.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=(
            "migrations/V__x.sql: invalid migration file name: Invalid versioned migration "
            "name format: V__x.sql (It must contain a version",
        ),
    ),
    Case(
        "repeatable-with-version",
        NAMES,
        files={**V1, "R1__views.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=("migrations/R1__views.sql: invalid migration file name", "R__views.sql"),
    ),
    Case(
        "no-prefix",
        NAMES,
        files={**V1, "X2__other.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=(
            "migrations/X2__other.sql: invalid migration file name: Unrecognised migration "
            "name format: X2__other.sql",
        ),
    ),
    Case(
        "plain-sql-file",
        NAMES,
        files={**V1, "notes.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=(
            "migrations/notes.sql: invalid migration file name: Unrecognised migration name "
            "format: notes.sql",
        ),
    ),
    Case(
        "double-suffix",
        NAMES,
        files={**V1, "V2.sql.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=("migrations/V2.sql.sql: invalid migration file name",),
    ),
    Case(
        "custom-suffix-bad-name",
        NAMES,
        files={**V1, "V1__first.sql": "CREATE TABLE a (id INT);\n", "V2-x.ddl": "SELECT 1;\n"},
        toml='[flyway]\nvalidateMigrationNaming = true\nsqlMigrationSuffixes = [".sql", ".ddl"]\n',
        expect=("migrations/V2-x.ddl: invalid migration file name",),
    ),
    Case(
        "three-bad-names",
        NAMES,
        files={**V1, "V2_a.sql": "SELECT 1;\n", "V3_b.sql": "SELECT 1;\n", "V4_c.sql": "SELECT 1;"},
        toml=STRICT,
        expect=("migrations/V2_a.sql: invalid migration file name", "2 more such files"),
    ),
    Case(
        "bad-name-in-subfolder",
        NAMES,
        files={**V1, "2024/V2_second.sql": "SELECT 1;\n"},
        toml=STRICT,
        expect=("migrations/2024/V2_second.sql: invalid migration file name",),
    ),
    Case(
        "duplicate-version",
        NAMES,
        files={**V1, "V1__again.sql": "SELECT 1;\n"},
        expect=("more than one migration with version 1", "V1__again.sql", "V1__first.sql"),
    ),
    Case(
        "duplicate-version-trailing-zero",
        NAMES,
        files={**V1, "V1.0__zero.sql": "SELECT 1;\n"},
        expect=("more than one migration with version 1", "V1.0__zero.sql"),
    ),
    Case(
        "duplicate-version-underscore",
        NAMES,
        files={"V1.1__dot.sql": "SELECT 1;\n", "V1_1__underscore.sql": "SELECT 2;\n"},
        expect=("more than one migration with version", "V1.1__dot.sql", "V1_1__underscore.sql"),
    ),
    Case(
        "duplicate-version-leading-zero",
        NAMES,
        files={"V1.1__a.sql": "SELECT 1;\n", "V1.01__b.sql": "SELECT 2;\n"},
        expect=("more than one migration with version", "V1.01__b.sql", "V1.1__a.sql"),
    ),
    Case(
        "duplicate-version-across-locations",
        NAMES,
        files=V1,
        other={"more/V1__elsewhere.sql": "SELECT 1;\n"},
        toml='[flyway]\nlocations = ["filesystem:migrations", "filesystem:more"]\n',
        expect=("more than one migration with version 1", "more/V1__elsewhere.sql"),
    ),
    Case(
        "duplicate-version-in-subfolder",
        NAMES,
        files={**V1, "old/V1__copy.sql": "SELECT 1;\n"},
        expect=("more than one migration with version 1", "migrations/old/V1__copy.sql"),
    ),
    Case(
        "duplicate-undo",
        NAMES,
        files={**V1, "U1__a.sql": "DROP TABLE first_table;\n", "U1__b.sql": "SELECT 1;\n"},
        expect=("more than one migration with undo version 1", "U1__a.sql", "U1__b.sql"),
    ),
    Case(
        "duplicate-repeatable",
        NAMES,
        files={**V1, "R__views.sql": "SELECT 1;\n", "sub/R__views.sql": "SELECT 2;\n"},
        expect=("more than one migration with repeatable description views",),
    ),
    Case(
        "undo-missing-for-latest",
        NAMES,
        applied=V12,
        files={**V12, "U1__first.sql": "DROP TABLE first_table;\n"},
        args=("undo",),
        expect=("no undo script for version 2", "beside migrations/V2__second.sql"),
    ),
    Case(
        "undo-missing-below-target-postgresql",
        NAMES,
        engine="postgresql",
        applied=V12,
        files={**V12, "U2__second.sql": "DROP TABLE second_table;\n"},
        args=("undo", "--target", "1"),
        expect=("no undo script for version 1", "beside migrations/V1__first.sql"),
    ),
    Case(
        "script-config-not-bool",
        NAMES,
        files={**V12, "V2__second.sql.conf": "executeInTransaction=maybe\n"},
        expect=("migrations/V2__second.sql.conf:1: executeInTransaction must be true or false",),
    ),
    Case(
        "script-config-no-equals",
        NAMES,
        files={**V12, "V2__second.sql.conf": "# settings\nexecuteInTransaction\n"},
        expect=("migrations/V2__second.sql.conf:2: expected key=value",),
    ),
    Case(
        "script-config-not-utf8",
        NAMES,
        files={**V12, "V2__second.sql.conf": b"# caf\xe9\nexecuteInTransaction=false\n"},
        expect=("migrations/V2__second.sql.conf:1: is not valid UTF-8",),
    ),
    Case(
        "broken-symlink",
        NAMES,
        files=V1,
        other={"migrations/V2__gone.sql": Link("gone/V2__gone.sql")},
        expect=("migrations/V2__gone.sql: cannot read migration: No such file or directory",),
    ),
    Case(
        # Outside the project, existing or not: refused before anything reads it, and
        # never "cannot read" (which would tell which files exist on the runner).
        "broken-symlink-outside",
        NAMES,
        files=V1,
        other={"migrations/V2__gone.sql": Link("/nonexistent/V2__gone.sql")},
        expect=(
            "migrations/V2__gone.sql: resolves outside the project (to /nonexistent/V2__gone.sql)",
        ),
    ),
    # ---- migration contents (a valid V1 beside the bad file: V1 is not applied either) ---
    Case(
        "binary-garbage",
        CONTENTS,
        files={**V1, "V2__garbage.sql": _GARBAGE},
        expect=("migrations/V2__garbage.sql:", "is not valid UTF-8"),
    ),
    Case(
        "binary-with-nul",
        CONTENTS,
        files={**V1, "V2__bin.sql": b"\x00\x01\x02\x03binary"},
        expect=("migrations/V2__bin.sql:1: contains NUL bytes",),
    ),
    Case(
        "nul-in-line-5",
        CONTENTS,
        files={**V1, "V2__nul.sql": b"SELECT 1;\nSELECT 2;\nSELECT 3;\nSELECT 4;\nSEL\x00ECT 5;\n"},
        expect=("migrations/V2__nul.sql:5: contains NUL bytes",),
    ),
    Case(
        "latin1-bytes",
        CONTENTS,
        files={**V1, "V2__latin1.sql": b"SELECT 1;\n\nINSERT INTO t VALUES ('caf\xe9');\n"},
        expect=("migrations/V2__latin1.sql:3: is not valid UTF-8 (byte 0xe9)",),
    ),
    Case(
        "utf16",
        CONTENTS,
        files={**V1, "V2__utf16.sql": "SELECT 1;\n".encode("utf-16")},
        expect=("migrations/V2__utf16.sql:1: is UTF-16, not UTF-8",),
    ),
    Case(
        "empty-file",
        CONTENTS,
        files={**V1, "V2__empty.sql": ""},
        expect=("migrations/V2__empty.sql: migration is empty",),
    ),
    Case(
        "byte-order-mark-only",
        CONTENTS,
        files={**V1, "V2__bom.sql": "\ufeff\n"},
        expect=("migrations/V2__bom.sql: migration is empty",),
    ),
    Case(
        "ten-megabytes-unterminated-string",
        CONTENTS,
        files={**V1, "V2__big.sql": _BIG + b"INSERT INTO first_table VALUES ('oops);\n"},
        expect=(f"migrations/V2__big.sql:{_BIG_LINES + 1}: unterminated quoted string",),
    ),
    Case(
        "ten-megabytes-bad-byte-at-end",
        CONTENTS,
        files={**V1, "V2__big.sql": _BIG + b"-- caf\xe9\n"},
        expect=(f"migrations/V2__big.sql:{_BIG_LINES + 1}: is not valid UTF-8",),
    ),
    Case(
        "unterminated-dollar-quote",
        CONTENTS,
        engine="postgresql",
        files={**V1, "V2__fn.sql": "SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n"},
        expect=("migrations/V2__fn.sql:2:", "unterminated dollar-quoted string ($$)"),
    ),
    Case(
        "unterminated-tagged-dollar-quote",
        CONTENTS,
        engine="postgresql",
        files={
            **V1,
            "V2__fn.sql": "CREATE FUNCTION f() RETURNS int AS $body$\n"
            "BEGIN RETURN 1; END;\n$bod$;\n",
        },
        expect=("migrations/V2__fn.sql:1:", "unterminated dollar-quoted string ($body$)"),
    ),
    Case(
        "unterminated-block-comment",
        CONTENTS,
        files={**V1, "V2__c.sql": "SELECT 1;\n\n/* a comment that never\nends\n"},
        expect=("migrations/V2__c.sql:3: unterminated block comment",),
    ),
    Case(
        "unterminated-nested-comment-postgresql",
        CONTENTS,
        engine="postgresql",
        files={**V1, "V2__c.sql": "SELECT 1;\n/* outer /* inner */ still open\nSELECT 2;\n"},
        expect=("migrations/V2__c.sql:2: unterminated block comment",),
    ),
    Case(
        "unterminated-string",
        CONTENTS,
        files={**V1, "V2__s.sql": "SELECT 1;\nINSERT INTO first_table VALUES ('abc);\n"},
        expect=("migrations/V2__s.sql:2: unterminated quoted string",),
    ),
    Case(
        "unterminated-escape-string-postgresql",
        CONTENTS,
        engine="postgresql",
        files={**V1, "V2__s.sql": "SELECT 1;\nSELECT E'it\\'s;\n"},
        expect=("migrations/V2__s.sql:2: unterminated quoted string",),
    ),
    Case(
        "unterminated-string-backslash-mysql",
        CONTENTS,
        engine="mysql",
        files={**V1, "V2__s.sql": "SELECT 1;\nSELECT 'abc\\';\n"},
        expect=("migrations/V2__s.sql:2: unterminated quoted string",),
    ),
    Case(
        "unterminated-quoted-identifier",
        CONTENTS,
        files={**V1, "V2__q.sql": 'SELECT 1;\nSELECT "abc FROM first_table;\n'},
        expect=("migrations/V2__q.sql:2: unterminated quoted identifier",),
    ),
    Case(
        "unterminated-bracket-identifier",
        CONTENTS,
        files={**V1, "V2__q.sql": "SELECT 1;\nSELECT [abc FROM first_table;\n"},
        expect=("migrations/V2__q.sql:2: unterminated quoted identifier",),
    ),
    Case(
        "unterminated-backtick-mysql",
        CONTENTS,
        engine="mysql",
        files={**V1, "V2__q.sql": "SELECT 1;\nSELECT `abc FROM first_table;\n"},
        expect=("migrations/V2__q.sql:2: unterminated quoted identifier",),
    ),
    Case(
        "unknown-placeholder",
        CONTENTS,
        files={**V1, "V2__p.sql": "SELECT 1;\n\nGRANT SELECT ON first_table TO ${reader};\n"},
        expect=("migrations/V2__p.sql:3: no value for placeholder ${reader}",),
    ),
    Case(
        "unknown-placeholder-postgresql",
        CONTENTS,
        engine="postgresql",
        files={**V1, "V2__p.sql": "CREATE SCHEMA ${schema_name};\n"},
        toml='[flyway.placeholders]\nschemaname = "x"\n',
        expect=("migrations/V2__p.sql:1: no value for placeholder ${schema_name}",),
    ),
    Case(
        "unknown-placeholder-custom-delimiters",
        CONTENTS,
        files={**V1, "V2__p.sql": "SELECT 1;\nSELECT '#[nope]';\n"},
        toml='[flyway]\nplaceholderPrefix = "#["\nplaceholderSuffix = "]"\n',
        expect=("migrations/V2__p.sql:2: no value for placeholder #[nope]",),
    ),
    Case(
        "unknown-placeholder-in-repeatable",
        CONTENTS,
        files={**V1, "R__views.sql": "CREATE VIEW v AS SELECT '${app}' AS app;\n"},
        expect=("migrations/R__views.sql:1: no value for placeholder ${app}",),
    ),
    Case(
        "unknown-placeholder-in-callback",
        CONTENTS,
        files={**V1, "beforeMigrate.sql": "SELECT 1;\nSELECT ${nope};\n"},
        expect=("migrations/beforeMigrate.sql:2: no value for placeholder ${nope}",),
    ),
    Case(
        "unterminated-comment-in-callback",
        CONTENTS,
        files={**V1, "afterMigrate.sql": "SELECT 1;\n/* open\n"},
        expect=("migrations/afterMigrate.sql:2: unterminated block comment",),
    ),
    Case(
        "bad-undo-script",
        CONTENTS,
        files={**V12, "U2__second.sql": b"DROP TABLE second_table;\n\x00"},
        expect=("migrations/U2__second.sql:2: contains NUL bytes",),
    ),
    Case(
        "delimiter-without-argument-mysql",
        CONTENTS,
        engine="mysql",
        files={**V1, "V2__d.sql": "SELECT 1;\nDELIMITER\nSELECT 2;\n"},
        expect=("migrations/V2__d.sql:2: DELIMITER must be followed by the new delimiter",),
    ),
    Case(
        "delimiter-two-words-mysql",
        CONTENTS,
        engine="mysql",
        files={**V1, "V2__d.sql": "SELECT 1;\n\nDELIMITER $$ ;;\nSELECT 2;\n"},
        expect=("migrations/V2__d.sql:3: DELIMITER takes one delimiter, not $$ ;;",),
    ),
    Case(
        "delimiter-backslash-mysql",
        CONTENTS,
        engine="mysql",
        files={**V1, "V2__d.sql": "SELECT 1;\nDELIMITER \\\\\nSELECT 2;\n"},
        expect=("migrations/V2__d.sql:2: DELIMITER cannot contain a backslash",),
    ),
    Case(
        "concurrently-in-forced-transaction",
        CONTENTS,
        engine="postgresql",
        files={
            **V1,
            "V2__idx.sql": "SELECT 1;\nCREATE INDEX CONCURRENTLY i ON first_table (id);\n",
            "V2__idx.sql.conf": "executeInTransaction=true\n",
        },
        expect=("migrations/V2__idx.sql:2: this statement cannot run inside a transaction",),
    ),
    Case(
        "bad-file-after-applied-state",
        CONTENTS,
        applied=V1,
        files={**V12, "V3__third.sql": "SELECT 1;\n/* never closed\n"},
        expect=("migrations/V3__third.sql:2: unterminated block comment",),
    ),
    Case(
        "bad-file-after-applied-state-postgresql",
        CONTENTS,
        engine="postgresql",
        applied=V1,
        files={**V12, "V3__third.sql": "SELECT ${missing};\n"},
        expect=("migrations/V3__third.sql:1: no value for placeholder ${missing}",),
    ),
    Case(
        "bad-file-after-applied-state-mysql",
        CONTENTS,
        engine="mysql",
        applied=V1,
        files={**V12, "V3__third.sql": "SELECT 'never closed;\n"},
        expect=("migrations/V3__third.sql:1: unterminated quoted string",),
    ),
    Case(
        "bad-file-with-json-output",
        CONTENTS,
        files={**V1, "V2__bin.sql": b"\x00"},
        args=("--output", "json", "migrate"),
        expect=("migrations/V2__bin.sql:1: contains NUL bytes",),
    ),
    Case(
        "bad-file-in-dry-run",
        CONTENTS,
        engine="postgresql",
        files={**V1, "V2__c.sql": "SELECT 1;\n/*\n"},
        args=("migrate", "--dry-run", "@DIR@/plan.sql"),
        expect=("migrations/V2__c.sql:2: unterminated block comment",),
    ),
    # ---- command-line arguments -----------------------------------------------------------
    Case("no-command", ARGUMENTS, args=(), expect=("required: COMMAND",)),
    Case(
        "unknown-command",
        ARGUMENTS,
        args=("frobnicate",),
        expect=("argument COMMAND: invalid choice: 'frobnicate'",),
    ),
    Case(
        "unknown-global-option",
        ARGUMENTS,
        args=("--frobnicate", "migrate"),
        expect=("unrecognized arguments: --frobnicate",),
    ),
    Case(
        "unknown-command-option",
        ARGUMENTS,
        args=("migrate", "--fail-on-pending"),
        expect=("unrecognized arguments: --fail-on-pending",),
    ),
    Case(
        "bad-output",
        ARGUMENTS,
        args=("--output", "xml", "info"),
        expect=("argument --output: invalid choice: 'xml'",),
    ),
    Case(
        "missing-url-value",
        ARGUMENTS,
        args=("migrate", "--url"),
        expect=("argument --url: expected one argument",),
    ),
    Case(
        "missing-target-value",
        ARGUMENTS,
        args=("migrate", "--target"),
        expect=("argument --target: expected one argument",),
    ),
    Case(
        "bad-target",
        ARGUMENTS,
        args=("migrate", "--target", "1.x"),
        expect=("--target: invalid version '1.x'",),
    ),
    Case(
        "negative-target",
        ARGUMENTS,
        args=("migrate", "--target", "-1"),
        expect=("--target: invalid version '-1'",),
    ),
    Case(
        "undo-target-not-a-version",
        ARGUMENTS,
        applied=V12,
        files={**V12, "U2__second.sql": "DROP TABLE second_table;\n"},
        args=("undo", "--target", "next"),
        expect=("--target for undo must be a version",),
    ),
    Case(
        "bad-baseline-version",
        ARGUMENTS,
        args=("baseline", "--baseline-version", "1.0-beta"),
        expect=("baselineVersion: invalid version '1.0-beta'",),
    ),
    Case(
        "schemas-unknown-on-sqlite",
        ARGUMENTS,
        args=("--schemas", "sales", "migrate"),
        expect=("SQLite has no schema 'sales'",),
    ),
    Case(
        "bad-ignore-pattern",
        ARGUMENTS,
        args=("validate", "--ignore-migration-patterns", "versioned:lost"),
        expect=("invalid ignoreMigrationPatterns entry 'versioned:lost'",),
    ),
    Case(
        "project-not-found",
        ARGUMENTS,
        args=("--project", "/nonexistent/dbci-project", "migrate"),
        project=False,
        expect=("--project: project directory not found: /nonexistent/dbci-project",),
    ),
    Case(
        "project-is-a-file",
        ARGUMENTS,
        other={"notes.txt": "not a project"},
        args=("migrate", "--project", "@DIR@/notes.txt"),
        project=False,
        expect=("--project:", "notes.txt is not a directory"),
    ),
    Case(
        "config-not-found",
        ARGUMENTS,
        args=("--config", "/nonexistent/dbci.toml", "migrate"),
        expect=("config file not found: /nonexistent/dbci.toml",),
    ),
    Case(
        "config-option-is-a-directory",
        ARGUMENTS,
        args=("migrate", "--config", "@DIR@/migrations"),
        expect=("config file is a directory:", "migrations"),
    ),
    Case(
        "bad-fail-on",
        ARGUMENTS,
        args=("check", "--code", "--fail-on", "sometimes"),
        expect=("argument --fail-on: invalid choice: 'sometimes'",),
    ),
    Case(
        "bad-drift-source",
        ARGUMENTS,
        args=("check", "--drift", "--drift-source", "yesterday"),
        expect=("--drift-source 'yesterday': use one of",),
    ),
    Case(
        "drift-without-target",
        ARGUMENTS,
        args=("check", "--drift"),
        url=False,
        expect=("check --drift needs a target",),
    ),
    Case(
        "deploy-parallel-zero",
        ARGUMENTS,
        toml=DEV,
        args=("deploy", "-e", "dev", "--parallel", "0"),
        url=False,
        expect=("--parallel must be at least 1",),
    ),
    Case(
        "deploy-parallel-negative",
        ARGUMENTS,
        toml=DEV,
        args=("deploy", "-e", "dev", "--parallel", "-3"),
        url=False,
        expect=("--parallel must be at least 1",),
    ),
    Case(
        "deploy-without-target",
        ARGUMENTS,
        args=("deploy",),
        url=False,
        expect=("deploy needs a target",),
    ),
    Case(
        "dry-run-and-json-on-stdout",
        ARGUMENTS,
        args=("--output", "json", "migrate", "--dry-run", "-"),
        expect=("--dry-run - and --output json would both write to standard output",),
    ),
    Case(
        "dry-run-to-a-directory",
        ARGUMENTS,
        args=("migrate", "--dry-run", "@DIR@/migrations"),
        expect=("--dry-run: cannot write", "Is a directory"),
    ),
    Case(
        "diff-bad-source",
        ARGUMENTS,
        args=("diff", "--source", "yesterday", "--target", "url:@URL@"),
        expect=("--source: 'yesterday' is not a source",),
    ),
    Case(
        "diff-unknown-environment",
        ARGUMENTS,
        toml=DEV,
        args=("diff", "--source", "env:prod", "--target", "env:dev"),
        url=False,
        expect=("unknown environment 'prod' in dbci.toml (known: dev)",),
    ),
    Case(
        "report-without-report",
        ARGUMENTS,
        args=("report",),
        url=False,
        expect=("dbci-report/report.json: cannot read the report",),
    ),
    Case(
        "build-bad-version",
        ARGUMENTS,
        args=("build", "--build-version", "latest-ish"),
        url=False,
        expect=("--build-version: invalid version 'latest-ish'",),
    ),
    Case(
        "build-unknown-environment",
        ARGUMENTS,
        toml=DEV,
        args=("build", "--build-environment", "shadow"),
        url=False,
        expect=("unknown build environment 'shadow' (environments: dev)",),
    ),
    Case(
        "url-login-without-scheme-hides-password",
        ARGUMENTS,
        args=("--url", f"app:{SECRET}@db.example/app", "info"),
        url=False,
        expect=("--url: URL 'app:***@db.example/app' names no database driver",),
    ),
    Case(
        "url-bad-port",
        ARGUMENTS,
        args=("info", "--url", f"postgresql://app:{SECRET}@db:54x2/app"),
        url=False,
        expect=("--url: bad port in URL 'postgresql://app:***@db:54x2/app'",),
    ),
    Case(
        "report-dir-is-a-file",
        ARGUMENTS,
        args=("--report-dir", "@DIR@/migrations/V1__first.sql", "check", "--code"),
        expect=("--report-dir:", "migrations/V1__first.sql is not a directory"),
    ),
    Case(
        "deploy-report-dir-is-a-file",
        ARGUMENTS,
        toml=DEV,
        files=V12,
        args=("deploy", "-e", "dev", "--report-dir", "dbci.toml"),
        url=False,
        expect=("--report-dir:", "dbci.toml is not a directory"),
    ),
    Case(
        "snapshot-to-a-directory",
        ARGUMENTS,
        args=("snapshot", "--to", "@DIR@/migrations"),
        expect=("cannot write snapshot", "Is a directory"),
    ),
    # ---- action inputs (entrypoint.py as GitHub runs a Docker action) ---------------------
    Case(
        "action-unknown-command",
        ACTION,
        action={"command": "launch"},
        expect=("::error::input command: 'launch' is not one of",),
    ),
    Case(
        "action-fail-on-drift-not-bool",
        ACTION,
        action={"command": "check", "url": "@URL@", "fail-on-drift": "maybe"},
        expect=("::error::input fail-on-drift: 'maybe' is not true or false",),
    ),
    Case(
        "action-comment-not-bool",
        ACTION,
        action={"command": "build", "comment": "sometimes"},
        expect=("::error::input comment: 'sometimes' is not true or false",),
    ),
    Case(
        "action-fail-on-severity-unknown",
        ACTION,
        action={"command": "check", "url": "@URL@", "fail-on-severity": "loud"},
        expect=("::error::input fail-on-severity: 'loud' is not one of",),
    ),
    Case(
        "action-check-without-target",
        ACTION,
        action={"command": "check"},
        expect=("::error::input environment (or url) is required for command check",),
    ),
    Case(
        "action-working-directory-missing",
        ACTION,
        action={"command": "build", "working-directory": "nowhere"},
        expect=("::error::input working-directory: 'nowhere' is not a directory",),
    ),
    Case(
        "action-args-unclosed-quote",
        ACTION,
        action={"command": "check", "url": "@URL@", "args": "--changed-from 'main"},
        expect=("::error::input args: No closing quotation",),
    ),
    Case(
        "action-args-unknown-option",
        ACTION,
        action={"command": "check", "url": "@URL@", "args": "--frobnicate"},
        expect=("::error::dbci: unrecognized arguments: --frobnicate",),
    ),
    Case(
        "action-args-parallel-zero",
        ACTION,
        toml=DEV,
        action={"command": "deploy", "environment": "dev", "args": "--parallel 0"},
        expect=("::error::dbci: --parallel must be at least 1",),
    ),
    Case(
        "action-unknown-environment",
        ACTION,
        toml=DEV,
        action={"command": "check", "environment": "prod"},
        expect=("::error::dbci: unknown environment 'prod' in dbci.toml (known: dev)",),
    ),
    Case(
        "action-url-unknown-scheme",
        ACTION,
        action={"command": "check", "url": f"oracle://scott:{SECRET}@db/orcl"},
        expect=("::error::input url: unsupported database 'oracle'",),
    ),
    Case(
        "action-url-bad-port-hides-password",
        ACTION,
        action={"command": "deploy", "url": f"postgresql://app:{SECRET}@db:x/app"},
        expect=("::error::input url: bad port in URL 'postgresql://app:***@db:x/app'",),
    ),
    Case(
        "action-config-missing",
        ACTION,
        action={"command": "check", "url": "@URL@", "config": "nowhere/dbci.toml"},
        expect=("::error::dbci: config file not found:", "nowhere/dbci.toml"),
    ),
    Case(
        "action-report-without-report",
        ACTION,
        action={"command": "report"},
        expect=("::error::dbci:", "dbci-report/report.json: cannot read the report"),
    ),
    Case(
        "action-bad-toml",
        ACTION,
        toml='[environments.dev]\nurl = "@URL@"\nuser = \n',
        action={"command": "check", "environment": "dev"},
        expect=("::error::dbci:", "dbci.toml:3:", "invalid TOML"),
    ),
    Case(
        "action-bad-migration",
        ACTION,
        files={**V1, "V2__bin.sql": b"SELECT 1;\n\x00"},
        action={"command": "deploy", "url": "@URL@"},
        expect=("::error::dbci:", "migrations/V2__bin.sql:2: contains NUL bytes"),
    ),
]


def _params() -> list[Any]:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return [
        pytest.param(case, id=case.id, marks=pytest.mark.scenario(case.family)) for case in CASES
    ]


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, tmp_path: Path, dbci: Callable[..., Any], request) -> None:
    url = request.getfixturevalue(
        {"sqlite": "sqlite_url", "postgresql": "pg_url", "mysql": "mysql_url"}[case.engine]
    )
    root = tmp_path / "project"
    root.mkdir()

    def placed(text: str) -> str:
        return text.replace("@URL@", url).replace("@DIR@", str(root))

    if case.applied is not None:
        write_project(root, dict(case.applied))
        done = dbci("--project", root, "--url", url, "migrate", cwd=root)
        assert done.returncode == 0, done.stderr
        shutil.rmtree(root / "migrations")
    write_project(root, dict(case.files))
    if case.toml is not None:
        toml = case.toml if isinstance(case.toml, bytes) else placed(case.toml).encode()
        (root / case.toml_name).write_bytes(toml)
    for name, content in case.other.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        elif isinstance(content, Link):
            path.symlink_to(content.target)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = _state(case.engine, url, request)
    if case.applied is None:
        assert not any(HISTORY in str(row) for row in before)

    if case.action is not None:
        _check_action(case, _run_action(case, root, tmp_path, placed))
    else:
        args = [placed(a) for a in case.args]
        if case.url:
            args = ["--url", url, *args]
        if case.project:
            args = ["--project", str(root), *args]
        env = {name: placed(value) for name, value in case.env.items()}
        _check_cli(case, dbci(*args, cwd=root, env=env))
    assert _state(case.engine, url, request) == before, "the run changed the database"


def _check_cli(case: Case, done: subprocess.CompletedProcess[str]) -> None:
    """The documented exit code, and exactly one `dbci: error:` line holding the text."""
    output = done.stdout + done.stderr
    assert done.returncode == case.code, output[-3000:]
    assert "Traceback" not in output
    assert SECRET not in output
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("dbci: error: ") and "internal error" not in lines[0], lines[0]
    for needle in case.expect:
        assert needle in lines[0], lines[0]


def _run_action(
    case: Case, root: Path, tmp_path: Path, placed: Callable[[str], str]
) -> subprocess.CompletedProcess[str]:
    """entrypoint.py in a subprocess, as the runner starts a Docker action's entrypoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCI_", "INPUT_", "GITHUB_"))}
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
    )
    inputs = {"comment": "false", **(case.action or {})}
    env.update({f"INPUT_{name.upper()}": placed(value) for name, value in inputs.items()})
    return subprocess.run(
        [sys.executable, str(ENTRYPOINT)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _check_action(case: Case, done: subprocess.CompletedProcess[str]) -> None:
    """The exit code, one `::error::` line holding the text, nothing on stderr, and no
    secret but in its `::add-mask::` command."""
    assert done.returncode == case.code, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip() == "", done.stderr
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, done.stdout
    for needle in case.expect:
        assert needle in errors[0], errors[0]
    shown = [line for line in done.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert SECRET not in "\n".join(shown)


def _state(engine: str, url: str, request) -> list[tuple[Any, ...]]:
    """What the database holds: its objects (and schemas), and its history rows if any."""
    if engine == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return []
        with closing(sqlite3.connect(path)) as conn:
            rows = conn.execute("SELECT type, name FROM sqlite_master ORDER BY 1, 2").fetchall()
            if any(name == HISTORY for _, name in rows):
                rows += conn.execute(
                    f"SELECT version, script, success FROM {HISTORY} ORDER BY installed_rank"
                ).fetchall()
        return rows
    if engine == "postgresql":
        with postgres.connect(url) as conn:
            objects = conn.execute(
                "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2"
            ).fetchall()
            rows = (
                objects
                + conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                    "AND nspname <> 'information_schema' ORDER BY 1"
                ).fetchall()
            )
            for schema, name, _ in objects:
                if name == HISTORY:
                    rows += conn.execute(
                        f'SELECT version, script, success FROM "{schema}".{HISTORY} '
                        "ORDER BY installed_rank"
                    ).fetchall()
        return [tuple(row) for row in rows]
    server = request.getfixturevalue("mysql_server")
    database = urlsplit(url).path.lstrip("/")
    rows = server.execute(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = '{database}' ORDER BY 1"
    )
    if any(row[0] == HISTORY for row in rows):
        rows += server.execute(
            f"SELECT version, script, success FROM `{HISTORY}` ORDER BY installed_rank", database
        )
    return [tuple(row) for row in rows]


@pytest.mark.scenario(CONTENTS)
@pytest.mark.parametrize(
    ("script", "line"),
    [
        ("SELECT 1\nGO 0\n", 2),
        ("SELECT 1\nGO\nSELECT 2\n\nGO -1\n", 5),
        ("SELECT 1\nGO 2 3\n", 2),
    ],
    ids=["go-0", "go-negative", "go-two-counts"],
)
def test_tsql_go_without_a_count_of_at_least_one(tmp_path: Path, script: str, line: int) -> None:
    """T-SQL `GO 0`: no SQL Server runs here, so this one goes through what `migrate` does to
    every pending script before it runs any (`prepare.prepare`) with the SQL Server engine,
    unconnected; the error is the same one line, at the `GO` line, exit 2."""
    path = tmp_path / "migrations" / "V2__batches.sql"
    path.parent.mkdir()
    path.write_text(script)
    migration = MigrationScript(
        kind=MigrationKind.VERSIONED,
        version=Version.parse("2"),
        description="batches",
        script=path.name,
        path=path,
        display_path="migrations/V2__batches.sql",
        content=script,
    )
    url = DatabaseUrl(dialect="mssql", backend="mssql", driver="pyodbc", host="db", database="a")
    engine = SQLServerDatabase(None, url=url, where="environment 'test'")
    with pytest.raises(InputError) as raised:
        prepare(migration, Placeholders(), engine)
    assert raised.value.exit_code == EXIT_INPUT
    message = str(raised.value)
    assert message.startswith(f"migrations/V2__batches.sql:{line}: GO ")
    assert "\n" not in message
