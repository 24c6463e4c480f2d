"""Secrets: the database password never shows, however it was given and whatever happens.

Every command (migrate, its dry run, info, validate, baseline, repair, clean, undo,
snapshot, diff, build, check, pipeline, report, deploy) runs as text and as JSON, on its
success path and on its failure paths (a migration whose SQL fails, a wrong password, a
drifted target, a bad config), against a PostgreSQL cluster that demands a scram password.
The password is given in the config file, in a URL (`--url`, `DBCI_URL`, the config's
`url`), in an environment variable (`DBCI_PASSWORD`, `${env.NAME}`) and as the action's
input (`INPUT_PASSWORD`, `INPUT_URL`, `INPUT_BUILD-URL`, entrypoint.py run as GitHub runs a
Docker action, and under GitLab CI). The password must appear nowhere: not on stdout or
stderr, not in any file dbci writes (report.json, comment.md, report.html, summary.md,
junit.xml, results.sarif, the snapshots, the drift scripts, the dry-run SQL, the diff SQL),
not in the action's log (except in its own `::add-mask::` line, which is how GitHub learns
to mask it), its outputs file, its step summary or the comment it posts.

The password holds URL-special characters (`%3A`, `:`, `@`, `/`, `#`, `?`, `&`), so its
percent-encoded forms (and its halves, which a parser cutting at `@` would show) are
looked for as well as the raw text. The wrong password of the failure path is as
distinctive and must not show either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote

import pytest
from support import postgres
from test_report_comments import GITHUB_TOKEN, Api, gitlab_env, serving

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Pw%3A:Sek@/x#z?Ret&9"
WRONG = "Wr%2F:Ng0@/q#y?Bad&1"
TIMEOUT_SECONDS = 120

MIGRATIONS = {
    "V1__create_items.sql": "CREATE TABLE items (id int PRIMARY KEY, name text);\n",
    "V2__add_orders.sql": (
        "CREATE TABLE orders (id int PRIMARY KEY, item int REFERENCES items (id));\n"
        "CREATE VIEW item_names AS SELECT name FROM items;\n"
    ),
    "U2__add_orders.sql": "DROP VIEW item_names;\nDROP TABLE orders;\n",
}
BOOM = ("V3__boom.sql", "CREATE TABLE boom (id int);\nSELECT 1 / 0;\n")


def forms(secret: str) -> set[str]:
    """Every way `secret` could show: raw, percent-encoded (as a URL writes it, as a form
    writes it), decoded once more, and each half of it around its `@`."""
    head, tail = secret.split("@", 1)
    shown = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), unquote(secret)}
    shown |= {quote(secret, safe=" +"), head, tail, quote(head, safe=""), quote(tail, safe="")}
    return shown


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """The forms of `secrets` found in `text`."""
    return sorted({form for secret in secrets for form in forms(secret) if form in text})


def url_with(server: postgres.PasswordServer, password: str, database: str) -> str:
    """A URL with the (percent-encoded) password in it, as a user must write it."""
    return (
        f"postgresql://{server.user}:{quote(password, safe='')}@{server.host}:{server.port}"
        f"/{database}"
    )


def _clean_environ() -> dict[str, str]:
    """This process's environment without dbci's, the action's or any CI platform's."""
    skip = ("DBCI_", "INPUT_", "GITHUB_", "GITLAB_", "CI_", "SYSTEM_", "BUILD_", "TF_BUILD")
    return {k: v for k, v in os.environ.items() if not k.startswith(skip)}


@pytest.fixture(scope="module")
def server() -> Iterator[postgres.PasswordServer]:
    """One cluster for the module: user `dbci` with PASSWORD, its database `dbci` (the
    targets, one schema per scenario) and `build` (the build environments)."""
    with ExitStack() as stack:
        started = postgres.enter_password_server(stack, password=PASSWORD, createdb=True)
        with postgres.connect(started.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE build")
        yield started


@pytest.fixture(scope="module")
def github_api() -> Iterator[Api]:
    """The local stand-in for GitHub's (and GitLab's) API."""
    with serving() as state:
        yield state


# --- One project, and what it printed and wrote ------------------------------------------


@dataclass
class Lab:
    """One scenario's project: how it selects its target, what it runs, what leaked."""

    server: postgres.PasswordServer
    root: Path
    schema: str
    sel: list[str] = field(default_factory=list)  # global options naming the target
    env: dict[str, str] = field(default_factory=dict)
    source: str = "env:target"  # the diff source naming the target
    secrets: tuple[str, ...] = (PASSWORD,)
    found: list[str] = field(default_factory=list)

    def write(self, config: str) -> None:
        """The project's dbci.toml and migrations (replacing what was there)."""
        (self.root / "migrations").mkdir(parents=True, exist_ok=True)
        for old in (self.root / "migrations").iterdir():
            old.unlink()
        for name, text in MIGRATIONS.items():
            (self.root / "migrations" / name).write_text(text)
        (self.root / "dbci.toml").write_text(config)

    def run(self, *args: str, expect: int, env: dict[str, str | None] | None = None) -> str:
        """`dbci *args` in the project; its output is searched, its exit code checked.
        `env` adds to the scenario's variables (None takes one away)."""
        child = _clean_environ() | self.env
        for name, value in (env or {}).items():
            if value is None:
                child.pop(name, None)
            else:
                child[name] = value
        done = subprocess.run(
            [sys.executable, "-m", "dbci", *args],
            cwd=self.root,
            env=child,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        shown = " ".join(args)
        for stream, text in (("stdout", done.stdout), ("stderr", done.stderr)):
            for form in leaks(text, self.secrets):
                self.found.append(f"dbci {shown}: {stream} shows {form!r}: {text[-600:]!r}")
        if done.returncode != expect:
            raise AssertionError(
                f"dbci {shown}: exit {done.returncode}, expected {expect}: {done.stderr[-800:]}"
            )
        return done.stdout

    def scan_files(self) -> None:
        """Every file dbci wrote in the project (not the config, not the migrations)."""
        written = [
            p
            for p in self.root.rglob("*")
            if p.is_file() and p.name != "dbci.toml" and "migrations" not in p.parts
        ]
        for path in written:
            text = path.read_text(encoding="utf-8", errors="replace")
            for form in leaks(text, self.secrets):
                self.found.append(f"{path.relative_to(path.parents[1])} holds {form!r}")

    def assert_clean(self) -> None:
        """Fail naming every leak found so far."""
        self.scan_files()
        if self.found:
            raise AssertionError(f"{len(self.found)} leaks:\n" + "\n".join(self.found[:8]))

    def sql(self, statement: str) -> None:
        """Run `statement` on the target database (as the password user)."""
        with postgres.connect(self.server.url(), autocommit=True) as conn:
            conn.execute(statement)


def _config(
    lab: Lab,
    *,
    target_url: str,
    build_url: str,
    target_login: str = "",
    build_login: str = "",
    extra: str = "",
) -> str:
    """dbci.toml: the `target` environment and a `build` environment (cleaned), same schema."""
    return (
        f'[flyway]\nschemas = ["{lab.schema}"]\nconnectTimeout = 5\n\n'
        f'[environments.target]\nurl = "{target_url}"\n{target_login}\n'
        f'[environments.build]\nurl = "{build_url}"\nprovisioner = "clean"\n{build_login}\n'
        f"{extra}"
    )


def _plain_url(server: postgres.PasswordServer, database: str) -> str:
    return f"postgresql://{server.host}:{server.port}/{database}"


def _login(server: postgres.PasswordServer, password: str | None) -> str:
    line = f'user = "{server.user}"\n'
    return line + (f"password = {json.dumps(password)}\n" if password is not None else "")


# --- How each scenario gives the password ---------------------------------------------------
#
# `setup(lab, password)` writes the project so that `password` reaches dbci the scenario's
# way (the right one, then the wrong one for the failure path); `bad(lab)` lists the
# scenario's broken configurations, each (config text, options, extra environment).


def _in_config(lab: Lab, password: str) -> None:
    s = lab.server
    lab.sel = ["-e", "target"]
    lab.write(
        _config(
            lab,
            target_url=_plain_url(s, "dbci"),
            build_url=_plain_url(s, "build"),
            target_login=_login(s, password),
            build_login=_login(s, password),
        )
    )


def _in_config_bad(lab: Lab) -> BadConfigs:
    s = lab.server
    good = _login(s, PASSWORD)
    url, build = _plain_url(s, "dbci"), _plain_url(s, "build")
    return [
        # not a string: the error names the key, never the value
        (
            _config(
                lab,
                target_url=url,
                build_url=build,
                target_login=good.replace(
                    f"password = {json.dumps(PASSWORD)}", f"password = [{json.dumps(PASSWORD)}]"
                ),
            ),
            ["-e", "target", "info"],
            {},
        ),
        # a TOML syntax error on the password's line
        (
            _config(lab, target_url=url, build_url=build, target_login=good)
            + f'\n[environments.broken]\npassword = "{PASSWORD}\n',
            ["-e", "target", "migrate"],
            {},
        ),
        # a bad setting beside a good password
        (
            _config(lab, target_url=url, build_url=build, target_login=good)
            + '\n[environments.target.flyway]\nconnectTimeout = "soon"\n',
            ["-e", "target", "check", "--output", "json"],
            {},
        ),
    ]


def _in_url_option(lab: Lab, password: str) -> None:
    s = lab.server
    lab.sel = ["--url", url_with(s, password, "dbci")]
    lab.source = "url:" + url_with(s, password, "dbci")
    lab.write(
        _config(lab, target_url=_plain_url(s, "nowhere"), build_url=url_with(s, password, "build"))
    )


def _in_url_bad(lab: Lab) -> BadConfigs:
    s = lab.server
    config = _config(lab, target_url=_plain_url(s, "nowhere"), build_url=_plain_url(s, "build"))
    secret = quote(PASSWORD, safe="")
    return [
        (config, ["--url", f"postgresql://dbci:{secret}@{s.host}:port/dbci", "info"], {}),
        (config, ["--url", f"postgresql+nodriver://dbci:{secret}@{s.host}/dbci", "migrate"], {}),
        (config, ["--url", f"jdbc:postgresql://{s.host}:x/dbci?password={secret}", "check"], {}),
        (config, ["--url", f"oracle://dbci:{secret}@{s.host}/dbci", "deploy"], {}),
        (config, ["--url", f"dbci:{secret}@{s.host}/dbci", "info", "--output", "json"], {}),
    ]


def _in_dbci_url(lab: Lab, password: str) -> None:
    s = lab.server
    lab.sel = []
    lab.env = {"DBCI_URL": url_with(s, password, "dbci")}
    lab.source = "url:" + url_with(s, password, "dbci")
    lab.write(
        _config(lab, target_url=_plain_url(s, "nowhere"), build_url=url_with(s, password, "build"))
    )


def _in_dbci_url_bad(lab: Lab) -> BadConfigs:
    s = lab.server
    config = _config(lab, target_url=_plain_url(s, "nowhere"), build_url=_plain_url(s, "build"))
    secret = quote(PASSWORD, safe="")
    return [
        (config, ["info"], {"DBCI_URL": f"postgresql://dbci:{secret}@{s.host}:port/dbci"}),
        (config, ["check"], {"DBCI_URL": f"mysql+nodriver://dbci:{secret}@{s.host}/dbci"}),
    ]


def _in_config_url(lab: Lab, password: str) -> None:
    s = lab.server
    lab.sel = ["-e", "target"]
    lab.write(
        _config(
            lab, target_url=url_with(s, password, "dbci"), build_url=url_with(s, password, "build")
        )
    )


def _in_config_url_bad(lab: Lab) -> BadConfigs:
    s = lab.server
    secret = quote(PASSWORD, safe="")
    bad = f"postgresql://dbci:{secret}@{s.host}:port/dbci"
    jdbc = f"jdbc:postgresql://{s.host}:x/dbci?user=dbci&password={secret}"
    return [
        (
            _config(lab, target_url=bad, build_url=url_with(s, PASSWORD, "build")),
            ["-e", "target", "info"],
            {},
        ),
        (_config(lab, target_url=jdbc, build_url=bad), ["-e", "target", "pipeline"], {}),
        (_config(lab, target_url=url_with(s, PASSWORD, "dbci"), build_url=bad), ["build"], {}),
    ]


def _in_dbci_password(lab: Lab, password: str) -> None:
    s = lab.server
    lab.sel = ["-e", "target"]
    # The build environment is reached by its own login only (never DBCI_PASSWORD, which
    # names the target's): it takes the password from another variable of its own.
    lab.env = {"DBCI_PASSWORD": password, "BUILD_PW": password}
    lab.write(
        _config(
            lab,
            target_url=_plain_url(s, "dbci"),
            build_url=_plain_url(s, "build"),
            target_login=_login(s, None),
            build_login=_login(s, None) + 'password = "${env.BUILD_PW}"\n',
        )
    )


def _in_dbci_password_bad(lab: Lab) -> BadConfigs:
    s = lab.server
    config = _config(
        lab,
        target_url=_plain_url(s, "dbci"),
        build_url=_plain_url(s, "build"),
        target_login=_login(s, None) + 'schemas = "${env.NO_SUCH_VARIABLE}"\n',
    )
    return [
        (config, ["-e", "target", "info"], {}),
        (config, ["-e", "target", "migrate"], {"DBCI_CONNECT_TIMEOUT": PASSWORD}),
    ]


def _in_env_reference(lab: Lab, password: str) -> None:
    s = lab.server
    lab.sel = ["-e", "target"]
    lab.env = {"DB_PW": password}
    login = _login(s, None) + 'password = "${env.DB_PW}"\n'
    lab.write(
        _config(
            lab,
            target_url=_plain_url(s, "dbci"),
            build_url=_plain_url(s, "build"),
            target_login=login,
            build_login=login,
        )
    )


def _in_env_reference_bad(lab: Lab) -> BadConfigs:
    s = lab.server
    inline = f"postgresql://dbci:${{env.DB_PW_ENCODED}}@{s.host}:port/dbci"
    return [
        (
            _config(lab, target_url=inline, build_url=_plain_url(s, "build")),
            ["-e", "target", "info"],
            {"DB_PW_ENCODED": quote(PASSWORD, safe="")},
        ),
        (
            _config(
                lab,
                target_url=_plain_url(s, "dbci"),
                build_url=_plain_url(s, "build"),
                target_login=_login(s, None) + 'password = "${env.DB_PW}"\n',
                extra='[dbci.deploy]\nfail_on_drift = "maybe"\n',
            ),
            ["-e", "target", "deploy"],
            {},
        ),
    ]


BadConfigs = list[tuple[str, list[str], dict[str, str | None]]]


@dataclass(frozen=True)
class Way:
    """One way of giving the password: its family, label, and how to set it up."""

    family: str
    label: str
    setup: Callable[[Lab, str], None]  # give dbci this password this way
    bad: Callable[[Lab], BadConfigs]  # broken configurations: (dbci.toml, options, env)
    full: bool  # every command as text and as JSON (else each command once)


WAYS = [
    Way("secrets: password in config", "config password", _in_config, _in_config_bad, True),
    Way("secrets: password in URL", "--url", _in_url_option, _in_url_bad, False),
    Way("secrets: password in URL", "DBCI_URL", _in_dbci_url, _in_dbci_url_bad, False),
    Way("secrets: password in URL", "config url", _in_config_url, _in_config_url_bad, False),
    Way(
        "secrets: password in environment",
        "DBCI_PASSWORD",
        _in_dbci_password,
        _in_dbci_password_bad,
        False,
    ),
    Way(
        "secrets: password in environment",
        "${env.NAME}",
        _in_env_reference,
        _in_env_reference_bad,
        False,
    ),
]


# --- The command loops ----------------------------------------------------------------------
#
# A scenario that runs every command both ways (`full`) runs each as text and as JSON; the
# others run each command once, as text or as JSON (`short`), and leave out ("") the runs
# that only repeat another's output path.


def _go(
    lab: Lab,
    full: bool,
    short: str,
    *args: str,
    expect: int,
    env: dict[str, str | None] | None = None,
) -> None:
    """`args` as text and as JSON when `full`, else as `short` says ("" leaves it out)."""
    if full or short == "text":
        lab.run(*args, expect=expect, env=env)
    if full or short == "json":
        lab.run(*args, "--output", "json", expect=expect, env=env)


def success_path(lab: Lab, full: bool) -> None:
    """Every command where it succeeds (and the refusals a healthy target gives)."""
    s = lab.sel
    _go(lab, full, "json", *s, "info", expect=0)
    _go(lab, full, "", *s, "validate", expect=0)
    _go(lab, full, "text", *s, "migrate", "--dry-run", "dry-run.sql", expect=0)
    if full:  # the script alone on standard output (not with --output json)
        lab.run(*s, "migrate", "--dry-run", "-", expect=0)
    _go(lab, full, "", *s, "check", expect=0)
    _go(lab, full, "json", *s, "pipeline", expect=0)
    _go(lab, full, "text", "report", expect=0)
    _go(lab, full, "", "report", "--comment", expect=0)  # not in a pull request: a warning
    _go(lab, full, "json", "build", expect=0)
    _go(lab, full, "text", *s, "migrate", expect=0)
    _go(lab, full, "text", *s, "snapshot", "--to", "snapshot.json", expect=0)
    _go(lab, full, "", *s, "snapshot", expect=0)  # the snapshot on standard output
    diff = ["diff", "--source", lab.source, "--target", "snapshot:snapshot.json"]
    _go(lab, full, "text", *diff, "--sql", "diff.sql", expect=0)
    if full:
        lab.run(*diff, "--sql", "-", "--include-grants", expect=0)
    lab.run(*s, "undo", expect=0)
    if full:  # V1 has no undo script: bad input, exit 2
        lab.run(*s, "undo", "--output", "json", expect=2)
    _go(lab, full, "json", *s, "deploy", expect=0)
    _go(lab, full, "json", *s, "repair", expect=0)
    # A history that holds migrations cannot be baselined; an empty schema can.
    _go(lab, full, "text", *s, "baseline", expect=1)
    _go(lab, full, "", *s, "--schemas", f"{lab.schema}_base", "baseline", expect=0)
    # The target may not be cleaned; the build environment may. (It is named by -e, and
    # DBCI_URL, which names the target, would take the place of its url: not set here.)
    _go(lab, full, "", *s, "clean", expect=2)
    _go(lab, full, "json", "-e", "build", "clean", expect=0, env={"DBCI_URL": None})


def drifted_target(lab: Lab, full: bool) -> None:
    """An object added behind dbci's back: check and deploy refuse, naming it."""
    s = lab.sel
    lab.sql(f"CREATE TABLE {lab.schema}.intruder (id int)")
    try:
        _go(lab, full, "json", *s, "check", "--fail-on-drift", expect=1)
        _go(lab, full, "", *s, "deploy", expect=1)
        _go(lab, full, "text", "report", expect=0)
        assert (lab.root / "dbci-report" / "drift-revert.sql").is_file()
    finally:
        lab.sql(f"DROP TABLE {lab.schema}.intruder")


def failing_sql(lab: Lab, full: bool) -> None:
    """A migration whose SQL fails: every command that runs it fails with exit 1."""
    s = lab.sel
    boom = lab.root / "migrations" / BOOM[0]
    boom.write_text(BOOM[1])
    try:
        _go(lab, full, "text", *s, "migrate", expect=1)
        _go(lab, full, "", "build", expect=1)
        _go(lab, full, "json", *s, "pipeline", expect=1)
        _go(lab, full, "", *s, "deploy", "--no-fail-on-drift", expect=1)
        _go(lab, full, "", *s, "check", expect=1)
        _go(lab, full, "", "report", expect=0)
        _go(lab, full, "", *s, "info", expect=0)
    finally:
        boom.unlink()


def wrong_password(lab: Lab, full: bool) -> None:
    """The login refused: one line, exit 3, and neither password shown."""
    s = lab.sel
    _go(lab, full, "text", *s, "info", expect=3)
    _go(lab, full, "", *s, "migrate", expect=3)
    _go(lab, full, "", *s, "migrate", "--dry-run", "dry-run.sql", expect=3)
    _go(lab, full, "", *s, "check", expect=3)
    _go(lab, full, "json", *s, "pipeline", expect=3)
    _go(lab, full, "text", *s, "deploy", expect=3)
    _go(lab, full, "", "build", expect=3)
    _go(lab, full, "", *s, "snapshot", expect=3)
    _go(lab, full, "text", "diff", "--source", lab.source, "--target", "snapshot:x", expect=3)
    for command in ("validate", "undo", "repair", "baseline"):
        _go(lab, full, "", *s, command, expect=3)
    _go(lab, full, "", "-e", "build", "clean", expect=3, env={"DBCI_URL": None})


def bad_config(lab: Lab, way: Way) -> None:
    """Each broken configuration of this way: one line, exit 2, no password."""
    for config, args, env in way.bad(lab):
        (lab.root / "dbci.toml").write_text(config)
        lab.run(*args, expect=2, env=env)


PHASES = ("success", "drifted target", "failing migration", "wrong password", "bad config")


def _one_way(way: Way, lab: Lab) -> list[tuple[str, BaseException | None]]:
    """Every phase of one way, in order; each phase's label and what it raised (if any)."""
    outcome: list[tuple[str, BaseException | None]] = []
    for phase in PHASES:
        try:
            if phase == "success":
                way.setup(lab, PASSWORD)
                success_path(lab, way.full)
            elif phase == "drifted target":
                drifted_target(lab, way.full)
            elif phase == "failing migration":
                failing_sql(lab, way.full)
            elif phase == "wrong password":
                lab.secrets = (PASSWORD, WRONG)
                way.setup(lab, WRONG)
                wrong_password(lab, way.full)
            else:
                way.setup(lab, PASSWORD)
                bad_config(lab, way)
            lab.assert_clean()
        except Exception as exc:  # noqa: BLE001 - counted as the phase's failure below
            outcome.append((phase, exc))
            lab.found.clear()
        else:
            outcome.append((phase, None))
    return outcome


def test_the_password_never_shows_on_the_command_line(
    server: postgres.PasswordServer, tmp_path: Path, scenarios
) -> None:
    labs = [Lab(server, tmp_path / f"p{n}", f"s{n}") for n in range(len(WAYS))]
    # Two ways at once: each has its own project and schema, and most of a command's time
    # is the database's, so two run in little more than the time of one.
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(_one_way, WAYS, labs))
    for way, outcome in zip(WAYS, outcomes, strict=True):
        for phase, error in outcome:
            with scenarios.run(way.family, f"{way.label}: {phase}"):
                if error is not None:
                    raise error


# --- The action -----------------------------------------------------------------------------


def _escape(value: str) -> str:
    """GitHub's escaping of a workflow command's data."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@dataclass
class ActionLab:
    """entrypoint.py as the runner starts it, in one project; what it printed and wrote."""

    server: postgres.PasswordServer
    api: Api
    workspace: Path
    project: str
    inputs: dict[str, str] = field(default_factory=dict)
    platform: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = (PASSWORD,)
    found: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.workspace / self.project

    def run(self, expect: int, **inputs: str) -> str:
        """Run the action with the lab's inputs and `inputs`; return its log (stdout)."""
        output, summary = self.workspace / "output.txt", self.workspace / "summary.md"
        env = _clean_environ() | {"no_proxy": "*", "NO_PROXY": "*"}
        github = not self.platform
        if github:
            event = self.workspace / "event.json"
            event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "abc"}}}))
            env |= {
                "GITHUB_ACTIONS": "true",
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_EVENT_PATH": str(event),
                "GITHUB_API_URL": f"{self.api.url}/gh",
                "GITHUB_REPOSITORY": "acme/shop",
                "GITHUB_SERVER_URL": "https://github.test",
            }
        env |= self.platform
        given = {"working-directory": self.project, "github-token": GITHUB_TOKEN} | self.inputs
        env |= {f"INPUT_{k.upper()}": v for k, v in (given | inputs).items()}
        done = subprocess.run(
            [sys.executable, str(ROOT / "entrypoint.py")],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        what = f"action {given.get('command', '')} {inputs}"
        log = done.stdout
        if github:
            # The one place the password may show: the command that tells GitHub to mask it.
            masks = [line for line in log.splitlines() if line.startswith("::add-mask::")]
            for value in (self.inputs | inputs).values():
                for secret in self.secrets:
                    # Given as an input, or inside a URL input: masked raw and as the URL
                    # writes it, whichever form a later step might print.
                    if secret in value or quote(secret, safe="") in value:
                        for shown in (secret, quote(secret, safe="")):
                            assert f"::add-mask::{_escape(shown)}" in masks, (what, shown, masks)
            log = "\n".join(line for line in log.splitlines() if line not in masks)
        for name, text in (("log", log), ("stderr", done.stderr)):
            for form in leaks(text, self.secrets):
                self.found.append(f"{what}: {name} shows {form!r}: {text[-600:]!r}")
        if done.returncode != expect:
            raise AssertionError(
                f"{what}: exit {done.returncode}, expected {expect}: {log[-1500:]}"
            )
        return log

    def assert_clean(self) -> None:
        """Every file (the report, the outputs, the summary) and every API call: no leak."""
        for path in self.workspace.rglob("*"):
            if path.is_file() and path.name != "dbci.toml" and "migrations" not in path.parts:
                text = path.read_text(encoding="utf-8", errors="replace")
                for form in leaks(text, self.secrets):
                    self.found.append(f"{path.relative_to(self.workspace)} holds {form!r}")
        for call in self.api.calls:
            text = json.dumps([call.path, call.query, call.headers, call.body])
            for form in leaks(text, self.secrets):
                self.found.append(f"API call {call.method} {call.path} holds {form!r}")
        if self.found:
            raise AssertionError(f"{len(self.found)} leaks:\n" + "\n".join(self.found[:8]))


def _action_project(lab: ActionLab, schema: str) -> None:
    s = lab.server
    lab.root.mkdir(parents=True)
    (lab.root / "migrations").mkdir()
    for name, text in MIGRATIONS.items():
        (lab.root / "migrations" / name).write_text(text)
    (lab.root / "dbci.toml").write_text(
        f'[flyway]\nschemas = ["{schema}"]\n\n'
        f'[environments.qa]\nurl = "{_plain_url(s, "dbci")}"\nuser = "{s.user}"\n'
    )


def _sql(server: postgres.PasswordServer, statement: str) -> None:
    with postgres.connect(server.url(), autocommit=True) as conn:
        conn.execute(statement)


def test_the_password_never_shows_in_the_action(
    server: postgres.PasswordServer, github_api: Api, tmp_path: Path, scenarios
) -> None:
    family = "secrets: password as action input"
    build_url = url_with(server, PASSWORD, "dbci")
    # INPUT_PASSWORD: the config's qa environment, its password an input.
    lab = ActionLab(
        server,
        github_api,
        tmp_path / "a",
        "shop",
        inputs={"environment": "qa", "password": PASSWORD, "build-url": build_url},
    )
    _action_project(lab, "act_a")
    with scenarios.run(family, "INPUT_PASSWORD: success"):
        lab.run(0, command="pipeline", comment="true")
        assert len(github_api.github.get(7, [])) == 1
        lab.run(0, command="build")
        lab.run(0, command="check")
        lab.run(0, command="deploy")
        lab.run(0, command="report")
        lab.assert_clean()
    with scenarios.run(family, "INPUT_PASSWORD: drifted target"):
        _sql(server, "CREATE TABLE act_a.intruder (id int)")
        try:
            lab.run(1, command="check", **{"fail-on-drift": "true"})
            lab.run(1, command="deploy")
        finally:
            _sql(server, "DROP TABLE act_a.intruder")
        lab.assert_clean()
    with scenarios.run(family, "INPUT_PASSWORD: failing migration"):
        boom = lab.root / "migrations" / BOOM[0]
        boom.write_text(BOOM[1])
        try:
            lab.run(1, command="pipeline")
            lab.run(1, command="deploy", **{"fail-on-drift": "false"})
        finally:
            boom.unlink()
        lab.assert_clean()
    with scenarios.run(family, "INPUT_PASSWORD: wrong password"):
        lab.secrets = (PASSWORD, WRONG)
        wrong = {"password": WRONG, "build-url": url_with(server, WRONG, "dbci")}
        lab.run(3, command="pipeline", **wrong)
        lab.run(3, command="deploy", **wrong)
        lab.assert_clean()
    with scenarios.run(family, "INPUT_PASSWORD: bad input"):
        lab.run(2, command="check", **{"fail-on-drift": "maybe"})
        lab.run(2, command="check", args="--no-such-option")
        lab.run(2, command="check", environment="nowhere")
        lab.assert_clean()
    # Under GitLab CI and Azure Pipelines nothing masks what the job prints: the password
    # must not show at all (not even in an ::add-mask:: line, which they do not read).
    for name, platform in (
        ("GitLab", gitlab_env(github_api.url)),
        ("Azure", {"TF_BUILD": "True"}),
    ):
        with scenarios.run(family, f"INPUT_PASSWORD under {name}"):
            other = ActionLab(
                server,
                github_api,
                tmp_path / name,
                "shop",
                inputs=lab.inputs,
                platform=platform,
                secrets=(PASSWORD, WRONG),
            )
            _action_project(other, f"act_{name.lower()}")
            other.run(0, command="pipeline")
            other.run(3, command="check", password=WRONG)
            other.assert_clean()
    # INPUT_URL: the whole URL an input, the password percent-encoded inside it.
    url_lab = ActionLab(
        server,
        github_api,
        tmp_path / "u",
        "shop",
        inputs={"url": url_with(server, PASSWORD, "dbci"), "build-url": build_url},
    )
    _action_project(url_lab, "act_u")
    encoded = quote(PASSWORD, safe="")
    with scenarios.run(family, "INPUT_URL: success"):
        url_lab.run(0, command="pipeline")
        url_lab.run(0, command="deploy")
        url_lab.assert_clean()
    with scenarios.run(family, "INPUT_URL: wrong password"):
        url_lab.secrets = (PASSWORD, WRONG)
        url_lab.run(3, command="check", url=url_with(server, WRONG, "dbci"))
        url_lab.run(2, command="check", url=f"postgresql://dbci:{encoded}@127.0.0.1:port/dbci")
        url_lab.assert_clean()
