"""Masking: what dbci hides, and only that.

* Secret placeholders (issue 21): a placeholder whose value comes from the environment
  (`DBCI_PLACEHOLDERS_API_TOKEN`, or `${env.NAME}` in the config) or whose name is a
  secret's (`db_password`) never reaches a report file: the check stage's dry run shows it
  as written (`${api_token}`), and a database error that quotes its value (`SELECT
  '${api_token}'::int`) shows `***`, on the console and in report.json. `migrate --dry-run
  FILE`, run by hand, keeps the values: that script is meant to be run. A placeholder
  named like an ordinary word (`keyboard_layout`, `greeting`) is replaced as always.
* Whole tokens: with the database password `postgres` or `app`, URLs print as
  `postgresql+psycopg://dbci:***@…` (not `***ql+psycopg://…`), a table `app_settings`
  keeps its name in console and error lines, and the SQL dbci writes (the dry-run script,
  `diff --sql`) is byte for byte the script of a run whose password is not in it.
* The action's `args` input: a password in it (`--password X`, `--password=X`, a URL's)
  shows in no line of the log but its `::add-mask::` line on GitHub, and in no line at
  all under GitLab CI and Azure Pipelines, which read no `::add-mask::`.

Real processes (`python -m dbci`, entrypoint.py as a runner starts it), real PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import pytest
from support import postgres
from support.cli import run_dbci, run_entrypoint
from support.projects import write_project
from test_report_comments import gitlab_env, serving

TIMEOUT_SECONDS = 120
REPORT_FILES = (
    "report.json",
    "comment.md",
    "summary.md",
    "report.html",
    "junit.xml",
    "results.sarif",
    "dryrun.sql",
)


# The outer run's variables that would change what dbci or the action does.
_OUTER = ("DBCI_", "INPUT_", "GITHUB_", "GITLAB_", "CI_", "SYSTEM_", "TF_BUILD")


def _environ(**extra: str) -> dict[str, str | None]:
    """`run_dbci`'s changes to this process's environment: no dbci, action or CI variable
    of the outer run, and `extra`."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith(_OUTER)}
    return cleared | dict(extra)


def _shows(text: str, secret: str) -> bool:
    """Whether `text` holds `secret`, as written or as a URL writes it."""
    return secret in text or quote(secret, safe="") in text


# --- Secret placeholders ---------------------------------------------------------------------

API_TOKEN = "tok-Api-5ecret-31"  # DBCI_PLACEHOLDERS_API_TOKEN
SIGNING = "sig-From-Env-42"  # ${env.SHOP_SIGNING_SEED} in the config, as `from_env`
DB_PASSWORD = "dbpw-Lit3ral-77"  # a literal of the config, secret by its name
SECRETS = {"api_token": API_TOKEN, "from_env": SIGNING, "db_password": DB_PASSWORD}
VISIBLE = {"greeting": "hello-visible-2", "keyboard_layout": "qwerty-visible-1"}

PLACEHOLDER_MIGRATIONS = {
    "V1__settings.sql": "CREATE TABLE app_settings (id int PRIMARY KEY, note text);\n",
    "V2__seed.sql": (
        "INSERT INTO app_settings VALUES (1, '${greeting} ${keyboard_layout}');\n"
        "SELECT length('${api_token}') + length('${from_env}') + length('${db_password}') AS n;\n"
    ),
}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_token", True),
        ("API_TOKEN", True),
        ("apiKey", True),
        ("APIKey", True),
        ("db_password", True),
        ("dbPassword", True),
        ("dbpassword", True),  # a compound of a secret's word
        ("clientSecret", True),
        ("SSH_KEY", True),
        ("db_pw", True),
        ("credentials", True),
        ("private_key", True),
        ("monkey", False),  # whole words only
        ("keyboard_layout", False),
        ("turnkey", False),
        ("secretary", False),
        ("passenger", False),
        ("greeting", False),
        ("flyway:user", False),
    ],
)
def test_which_names_are_secret(name: str, secret: bool) -> None:
    from dbci.settings.placeholders import looks_secret

    assert looks_secret(name) is secret


@pytest.mark.parametrize(
    ("text", "secrets", "shown"),
    [
        (
            "postgresql+psycopg://dbci:***@h/postgres app_settings",
            ["postgres", "app"],
            "postgresql+psycopg://dbci:***@h/*** app_settings",
        ),
        (
            'relation "app" exists; app.x, (app), myapp, app2',
            ["app"],
            'relation "***" exists; ***.x, (***), myapp, app2',
        ),
        ("login p%40ss and p@ss", ["p@ss"], "login *** and ***"),  # as a URL writes it too
        ("ab@@x c@@x", ["@@x"], "ab*** c***"),  # no word character at its start: no bound
    ],
)
def test_whole_tokens(text: str, secrets: list[str], shown: str) -> None:
    from dbci.settings.redact import scrub_tokens

    assert scrub_tokens(text, secrets) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://postgres:postgres@h:x/postgres", "postgresql://postgres:***@h:x/postgres"),
        ("--url=mysql://app:app@h/app", "--url=mysql://app:***@h/app"),
        ("url:postgresql://u:p%40ss@h/db", "url:postgresql://u:***@h/db"),
        ("//u:pw@h:x/db?password=pw&ssl=1", "//u:***@h:x/db?password=***&ssl=1"),
        (
            "jdbc:sqlserver://h;user=u;password=pw;db=x",
            "jdbc:sqlserver://h;user=u;password=***;db=x",
        ),
        ("u:pw@h/db", "u:***@h/db"),
        ("postgresql://u:@h/db", "postgresql://u:@h/db"),
    ],
)
def test_a_urls_password_is_hidden_at_its_place(url: str, shown: str) -> None:
    from dbci.settings.redact import hide_url_password

    assert hide_url_password(url) == shown


@pytest.fixture
def placeholder_project(tmp_path: Path, pg_url: str, pg_cluster: postgres.PgCluster):
    """A project with three secret placeholders and two plain ones: the target `pg_url`, a
    build environment on a database of its own; and the variables that give two of them."""
    with pg_cluster.scratch_database() as build_url:
        literal = "".join(f'{name} = "{value}"\n' for name, value in VISIBLE.items())
        root = write_project(
            tmp_path / "shop",
            PLACEHOLDER_MIGRATIONS,
            "[flyway]\nconnectTimeout = 5\n\n"
            "[flyway.placeholders]\n"
            'from_env = "${env.SHOP_SIGNING_SEED}"\n'
            f'db_password = "{DB_PASSWORD}"\n{literal}\n'
            f'[environments.target]\nurl = "{pg_url}"\n\n'
            f'[environments.build]\nurl = "{build_url}"\nprovisioner = "clean"\n',
        )
        env = _environ(DBCI_PLACEHOLDERS_API_TOKEN=API_TOKEN, SHOP_SIGNING_SEED=SIGNING)
        yield root, env


def _dbci(root: Path, env: dict[str, str | None], *args: str, expect: int) -> str:
    """`dbci *args` in `root`; its stdout and stderr together, once its exit code is checked
    and no secret placeholder's value is found in either."""
    done = run_dbci(*args, cwd=root, env=env)
    both = done.stdout + done.stderr
    assert done.returncode == expect, f"dbci {' '.join(args)}: exit {done.returncode}: {both}"
    for name, value in SECRETS.items():
        assert value not in both, f"dbci {' '.join(args)} shows ${{{name}}}'s value: {both}"
    return both


def _report_leaks(directory: Path) -> list[str]:
    """Each report file that holds a secret placeholder's value."""
    missing = [name for name in REPORT_FILES if not (directory / name).is_file()]
    assert not missing, f"no {missing} in {directory}"
    return [
        f"{path.name} holds ${{{name}}}'s value"
        for path in sorted(directory.iterdir())
        if path.is_file()
        for name, value in SECRETS.items()
        if value in path.read_text(encoding="utf-8", errors="replace")
    ]


def test_secret_placeholders_reach_no_report_and_no_error_line(
    placeholder_project: tuple[Path, dict[str, str | None]], scenarios
) -> None:
    family = "masking: secret placeholders"
    root, env = placeholder_project
    report = root / "dbci-report"
    with scenarios.run(family, "pipeline + report: the dry run shows them as written"):
        _dbci(root, env, "-e", "target", "pipeline", expect=0)
        _dbci(root, env, "report", expect=0)
        script = (report / "dryrun.sql").read_text(encoding="utf-8")
        for name in SECRETS:
            assert f"'${{{name}}}'" in script, (name, script)
        # Placeholders that are no secrets are replaced, as the migration runs them.
        assert "'hello-visible-2 qwerty-visible-1'" in script, script
        assert json.loads((report / "report.json").read_text())["dryrun"]["sql"] == script
        for name in ("comment.md", "report.html"):  # the folded dry run, the dry-run tab
            assert "${api_token}" in (report / name).read_text(encoding="utf-8"), name
    with scenarios.run(family, "pipeline + report: no value in any report file"):
        leaks = _report_leaks(report)
        assert not leaks, leaks
    with scenarios.run(family, "check (json) + report: no value on the console or in a file"):
        shown = _dbci(root, env, "-e", "target", "check", "--output", "json", expect=0)
        assert "${db_password}" in shown  # the report's dry run, printed as it is
        _dbci(root, env, "report", expect=0)
        leaks = _report_leaks(report)
        assert not leaks, leaks
    with scenarios.run(family, "migrate --dry-run FILE by hand keeps the values"):
        _dbci(root, env, "-e", "target", "migrate", "--dry-run", "by-hand.sql", expect=0)
        script = (root / "by-hand.sql").read_text(encoding="utf-8")
        for value in SECRETS.values():
            assert f"'{value}'" in script, (value, script)
    _dbci(root, env, "-e", "target", "migrate", expect=0)
    boom = root / "migrations" / "V3__boom.sql"
    how = {
        "api_token": "DBCI_PLACEHOLDERS_API_TOKEN",
        "from_env": "${env.NAME}",
        "db_password": "a secret's name",
    }
    for name, given in how.items():
        with scenarios.run(family, f"error line: a value from {given}"):
            # PostgreSQL quotes the value: invalid input syntax for type integer: "…"
            boom.write_text(f"SELECT 'x';\nSELECT '${{{name}}}'::int;\n")
            shown = _dbci(root, env, "-e", "target", "migrate", expect=1)
            assert 'invalid input syntax for type integer: "***"' in shown, shown
            assert "V3__boom.sql:2" in shown, shown
    with scenarios.run(family, "failing pipeline + report: no value in report.json's errors"):
        boom.write_text("SELECT '${api_token}'::int;\n")
        _dbci(root, env, "-e", "target", "pipeline", expect=1)
        _dbci(root, env, "report", expect=0)
        data = json.loads((report / "report.json").read_text(encoding="utf-8"))
        assert '"***"' in (data["build"] or {}).get("error", ""), data["build"]
        leaks = _report_leaks(report)
        assert not leaks, leaks


# --- Whole tokens ------------------------------------------------------------------------------

NEUTRAL = "Zq7-neutral-Xv"  # a password that is nowhere in the project's text
WORD_MIGRATIONS = {
    # `app` and `postgres` as whole words of the SQL (a default, a view's name, a comment):
    # any scrubbing of SQL would change the scripts dbci writes from it.
    "V1__settings.sql": (
        "-- the app's settings, on postgres\n"
        "CREATE TABLE app_settings (id int PRIMARY KEY, owner text DEFAULT 'app',\n"
        "    engine text DEFAULT 'postgres');\n"
        "CREATE VIEW app AS SELECT owner, engine FROM app_settings;\n"
    ),
}


@pytest.fixture(scope="module")
def word_server() -> Iterator[postgres.PasswordServer]:
    """A cluster whose user `dbci` has a password that is a common word (changed by the
    test as it goes), and a database `shop` of its own."""
    with ExitStack() as stack:
        server = postgres.enter_password_server(stack, password="postgres", createdb=True)
        with postgres.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE shop")
        yield server


class _Login:
    """The word server's password as the test changes it."""

    def __init__(self, server: postgres.PasswordServer) -> None:
        self.server = server
        self.current = server.password

    def set(self, password: str) -> str:
        """Make `password` dbci's; return the URL a user writes with it."""
        if password != self.current:
            with postgres.connect(self.server.url(self.current), autocommit=True) as conn:
                conn.execute(f"ALTER ROLE dbci PASSWORD '{password}'")
            self.current = password
        s = self.server
        return f"postgresql+psycopg://{s.user}:{quote(password, safe='')}@{s.host}:{s.port}/shop"


def test_secrets_are_hidden_as_whole_tokens_only(
    word_server: postgres.PasswordServer, tmp_path: Path, scenarios
) -> None:
    family = "masking: whole tokens"
    login = _Login(word_server)
    root = write_project(tmp_path / "shop", WORD_MIGRATIONS)
    env = _environ()
    passwords = (NEUTRAL, "postgres", "app")
    consoles: dict[str, str] = {}
    shown_url = f"postgresql+psycopg://dbci:***@{word_server.host}:{word_server.port}/shop"

    def dbci(password: str, *args: str, expect: int = 0) -> str:
        url = login.set(password)
        done = run_dbci("--url", url, *args, cwd=root, env=env)
        both = done.stdout + done.stderr
        assert done.returncode == expect, f"{password}: dbci {args}: {both}"
        consoles[password] = consoles.get(password, "") + both
        return both

    # What the empty schema holds, then each password's dry run (nothing applied yet), then
    # the migration, then each password's diff of the two.
    dbci(NEUTRAL, "snapshot", "--to", "before.json")
    for password in passwords:
        dbci(password, "migrate", "--dry-run", f"dry-{passwords.index(password)}.sql")
        dbci(password, "info")
    dbci(NEUTRAL, "migrate")
    for n, password in enumerate(passwords):
        url = login.set(password)
        spec = ["diff", "--source", "snapshot:before.json", "--target", f"url:{url}"]
        dbci(password, *spec, "--sql", f"diff-{n}.sql", "--artifact", f"artifact-{n}.json")
        dbci(password, *spec, "--output", "json")
    # A failing migration whose error quotes `app_settings`.
    (root / "migrations" / "V2__again.sql").write_text("CREATE TABLE app_settings (id int);\n")
    for password in passwords:
        dbci(password, "migrate", expect=1)
    expected = {name: (root / f"{name}-0.sql").read_bytes() for name in ("dry", "diff")}
    assert b"DEFAULT 'app'" in expected["diff"] and b'"app"' in expected["diff"]
    assert b"DEFAULT 'postgres'" in expected["dry"]
    for n, password in enumerate(passwords[1:], start=1):
        with scenarios.run(family, f"password {password}: the dry-run script"):
            assert (root / f"dry-{n}.sql").read_bytes() == expected["dry"]
        with scenarios.run(family, f"password {password}: diff --sql"):
            assert (root / f"diff-{n}.sql").read_bytes() == expected["diff"]
        with scenarios.run(family, f"password {password}: console and error lines"):
            console = consoles[password]
            assert f"Database: {shown_url} (PostgreSQL" in console, console
            assert "***ql" not in console and "***_settings" not in console, console
            assert 'relation "app_settings" already exists' in console, console
            assert "app_settings" in console.split("dbci: error:")[0]  # the diff's table
            # Yet the password, where it stands as a word of its own (the view `app`, the
            # default 'postgres' in the diff's JSON), is hidden: the scrub still works.
            assert not re.search(rf"(?<!\w){password}(?!\w)", console), console
        with scenarios.run(family, f"password {password}: a URL hidden at its place"):
            # A URL dbci cannot parse is quoted back, its password hidden where it stands in
            # the URL; and the diff artifact keeps its url: spec that way.
            bad = login.set(password).replace(f":{word_server.port}/", ":port/")
            done = run_dbci("--url", bad, "info", cwd=root, env=env)
            assert done.returncode == 2, done.stderr
            shown_bad = shown_url.replace(f":{word_server.port}/", ":port/")
            assert f"bad port in URL '{shown_bad}'" in done.stderr, done.stderr
            artifact = json.loads((root / f"artifact-{n}.json").read_text())
            assert artifact["target"] == f"url:{shown_url}", artifact["target"]


# --- The action's args --------------------------------------------------------------------------


def _run_action(
    workspace: Path, inputs: dict[str, str], platform: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """entrypoint.py as a runner starts it (GitHub's variables unless `platform` says)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUTER)}
    env |= {"no_proxy": "*", "NO_PROXY": "*"}
    if not platform:
        env |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(workspace / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(workspace / "summary.md"),
        }
    env |= platform
    env |= {f"INPUT_{k.upper()}": v for k, v in inputs.items()}
    return run_entrypoint(workspace, env, timeout=TIMEOUT_SECONDS)


def test_a_password_in_the_actions_args_is_masked(
    pg_password_server: postgres.PasswordServer, tmp_path: Path, scenarios
) -> None:
    family = "secrets: password in action args"
    s = pg_password_server
    secret = s.password
    url = f"postgresql://{s.user}:{quote(secret, safe='')}@{s.host}:{s.port}/{s.database}"
    styles = {
        "--password X": f"--dryrun --password {secret}",
        "--password=X": f"--dryrun --password={secret}",
        "--url with the password": f"--dryrun --url {url}",
        "-e x --password X": f"-e qa --dryrun --password {secret}",
    }
    with serving() as api:
        platforms = {"GitHub": {}, "GitLab": gitlab_env(api.url), "Azure": {"TF_BUILD": "True"}}
        for platform, platform_env in platforms.items():
            for style, args in styles.items():
                with scenarios.run(family, f"{platform}: {style}"):
                    workspace = tmp_path / f"{platform}-{list(styles).index(style)}"
                    write_project(
                        workspace / "shop",
                        {"V1__t.sql": "CREATE TABLE masked_args_t (id int);\n"},
                        '[flyway]\nschemas = ["masked_args"]\n\n[environments.qa]\n'
                        f'url = "postgresql://{s.host}:{s.port}/{s.database}"\n'
                        f'user = "{s.user}"\n',
                    )
                    inputs = {
                        "command": "check",
                        "working-directory": "shop",
                        "environment": "qa",
                        "comment": "false",
                        "args": args,
                    }
                    done = _run_action(workspace, inputs, platform_env)
                    lines = done.stdout.splitlines()
                    # The dry run connected: the password reached dbci.
                    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
                    group = next(line for line in lines if " check " in line)
                    assert group.startswith("::group::dbci ") and "***" in group, group
                    masks = [line for line in lines if line.startswith("::add-mask::")]
                    if platform == "GitHub":
                        # Masked before anything else is printed.
                        assert lines[: len(masks)] == masks, lines[:6]
                        assert f"::add-mask::{secret}" in masks, masks
                    else:
                        assert not masks, masks  # the line would print the secret
                    shown = [line for line in lines if line not in masks]
                    # The report (dryrun.sql included), the outputs, the summary.
                    files = [
                        p.read_text(errors="replace") for p in workspace.rglob("*") if p.is_file()
                    ]
                    for text in [*shown, done.stderr, *files]:
                        assert not _shows(text, secret), text[-1500:]
