"""`clean` never runs against a protected environment (`[dbci] protected`, default prod and
production), whatever the flags: not by name, in any case, not through another name for
its database (`--url`, `DBCI_URL`, another environment with its url), not as a build
environment (`--build-environment`, `shadowEnvironment`) of build, check, pipeline or the
deploy's drift gate, not through the action's inputs, not when an environment's own
`[environments.NAME.dbci]` table tries to take itself off the list. Every attempt ends
with exit 2 and one line, and prod keeps every row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.postgres import PgCluster, connect
from support.projects import write_project

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = {
    "V1__accounts.sql": "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL);\n"
    "INSERT INTO accounts SELECT g, 'owner ' || g FROM generate_series(1, 250) g;\n",
    "V2__ledger.sql": "CREATE TABLE ledger (id int PRIMARY KEY, account int REFERENCES accounts);",
}

pytestmark = pytest.mark.scenario("protected: clean refused on prod")


@dataclass
class Estate:
    """prod (and dev, and a build database) on the real server, and the project."""

    root: Path
    urls: dict[str, str] = field(default_factory=dict)

    def state(self, name: str) -> list[tuple[object, ...]]:
        """The tables of a database with their row counts, and its history's versions."""
        with connect(self.urls[name]) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall()
            return [
                (t, conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for (t,) in tables
            ]


@pytest.fixture(scope="module")
def estate(pg_cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    names = {role: pg_cluster.create_database() for role in ("prod", "dev", "build")}
    urls = {role: pg_cluster.database_url(name) for role, name in names.items()}
    root = write_project(tmp_path_factory.mktemp("protected"), MIGRATIONS, _config(urls))
    made = Estate(root, urls)
    for role in ("prod", "dev"):
        done = _dbci(made, "--url", urls[role], "migrate")
        assert done.returncode == 0, done.stderr
    yield made
    for name in names.values():
        pg_cluster.drop_database(name)


def _config(urls: dict[str, str], extra: str = "") -> str:
    return (
        # clean is allowed everywhere it can be: only the protection may stop it.
        "[flyway]\ncleanDisabled = false\n"
        f'[environments.prod]\nurl = "{urls["prod"]}"\nprovisioner = "clean"\n'
        f'[environments.production]\nurl = "{urls["prod"]}"\nprovisioner = "clean"\n'
        # prod's database under another name
        f'[environments.reporting]\nurl = "{urls["prod"]}"\nprovisioner = "clean"\n'
        # a protected name in another case, on dev's database
        f'[environments.Prod]\nurl = "{urls["dev"]}"\nprovisioner = "clean"\n'
        f'[environments.dev]\nurl = "{urls["dev"]}"\n'
        f'[environments.build]\nurl = "{urls["build"]}"\nprovisioner = "clean"\n' + extra
    )


def _dbci(
    estate: Estate, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbci", "--project", str(estate.root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def _action(estate: Estate, tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    """entrypoint.py as GitHub runs a Docker action: its inputs as INPUT_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    env |= {
        "INPUT_WORKING-DIRECTORY": str(estate.root),
        "INPUT_COMMENT": "false",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=estate.root,
        timeout=180,
        check=False,
    )


# (id, the command line, extra environment variables, extra config)
REFUSED: list[tuple[str, list[str], dict[str, str], str]] = [
    ("clean -e prod", ["-e", "prod", "clean"], {}, ""),
    ("clean -e production", ["-e", "production", "clean"], {}, ""),
    ("clean -e Prod (any case)", ["-e", "Prod", "clean"], {}, ""),
    ("clean, DBCI_ENVIRONMENT=prod", ["clean"], {"DBCI_ENVIRONMENT": "prod"}, ""),
    (
        "clean -e prod, DBCI_CLEAN_DISABLED=false",
        ["-e", "prod", "clean"],
        {"DBCI_CLEAN_DISABLED": "false"},
        "",
    ),
    ("clean -e prod --output json", ["--output", "json", "-e", "prod", "clean"], {}, ""),
    ("clean --url prod's", ["--url", "{prod}", "clean"], {}, ""),
    ("clean, DBCI_URL=prod's", ["clean"], {"DBCI_URL": "{prod}"}, ""),
    ("clean -e dev --url prod's", ["-e", "dev", "--url", "{prod}", "clean"], {}, ""),
    ("clean -e reporting (prod's url)", ["-e", "reporting", "clean"], {}, ""),
    ("clean -e build, DBCI_URL=prod's", ["-e", "build", "clean"], {"DBCI_URL": "{prod}"}, ""),
    (
        "clean -e prod, its own dbci table unprotects it",
        ["-e", "prod", "clean"],
        {},
        "[environments.prod.dbci]\nprotected = []\n",
    ),
    ("build --build-environment prod", ["build", "--build-environment", "prod"], {}, ""),
    ("build --build-environment reporting", ["build", "--build-environment", "reporting"], {}, ""),
    (
        "build, shadowEnvironment = prod",
        ["build"],
        {},
        '[flywayDesktop]\nshadowEnvironment = "prod"\n',
    ),
    (
        "check -e dev --build-environment prod",
        ["-e", "dev", "check", "--build-environment", "prod"],
        {},
        "",
    ),
    (
        "pipeline -e dev --build-environment production",
        ["-e", "dev", "pipeline", "--build-environment", "production"],
        {},
        "",
    ),
]


@pytest.mark.parametrize(
    ("args", "env", "extra"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_clean_is_refused_on_prod(
    estate: Estate, args: list[str], env: dict[str, str], extra: str
) -> None:
    before = {role: estate.state(role) for role in ("prod", "dev")}
    (estate.root / "dbci.toml").write_text(_config(estate.urls, extra))
    args = [a.format(prod=estate.urls["prod"]) for a in args]
    env = {k: v.format(prod=estate.urls["prod"]) for k, v in env.items()}
    done = _dbci(estate, *args, env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(lines) == 1 and "clean refused" in lines[0], done.stderr
    assert "protected" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert {role: estate.state(role) for role in ("prod", "dev")} == before


@pytest.mark.parametrize("how", ["DBCI_URL", "--url"])
def test_a_clean_provisioner_allows_its_own_url_only(estate: Estate, how: str) -> None:
    """`provisioner = "clean"` is a permission for the environment's own database: with
    another url put in its place (the target's, by DBCI_URL), clean is refused there too."""
    before = estate.state("dev")
    # dev is no protected environment's database here, and clean is not enabled anywhere.
    config = _config(estate.urls).replace("cleanDisabled = false", "")
    prod_alias = f'[environments.Prod]\nurl = "{estate.urls["dev"]}"\nprovisioner = "clean"\n'
    config = config.replace(prod_alias, "")
    (estate.root / "dbci.toml").write_text(config)
    given = (
        ({"DBCI_URL": estate.urls["dev"]}, [])
        if how == "DBCI_URL"
        else ({}, ["--url", estate.urls["dev"]])
    )
    done = _dbci(estate, *given[1], "-e", "build", "clean", env=given[0])
    assert done.returncode == 2, done.stdout + done.stderr
    assert "its provisioner allows clean on its own url only" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert estate.state("dev") == before


def test_the_deploy_drift_gate_does_not_rebuild_on_prod(estate: Estate) -> None:
    """dev has a history and no saved snapshot, so the gate rebuilds its migrations on
    the build environment, which this deploy names: prod. Refused."""
    before = {role: estate.state(role) for role in ("prod", "dev")}
    (estate.root / "dbci.toml").write_text(_config(estate.urls))
    done = _dbci(estate, "-e", "dev", "deploy", "--build-environment", "prod")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "clean refused" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert {role: estate.state(role) for role in ("prod", "dev")} == before


def test_the_action_cannot_build_on_prod(estate: Estate, tmp_path: Path) -> None:
    before = {role: estate.state(role) for role in ("prod", "dev")}
    (estate.root / "dbci.toml").write_text(_config(estate.urls))
    done = _action(estate, tmp_path, command="build", args="--build-environment prod")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "clean refused" in done.stdout + done.stderr
    assert {role: estate.state(role) for role in ("prod", "dev")} == before


def test_the_actions_url_input_never_points_the_build_at_the_target(
    estate: Estate, tmp_path: Path
) -> None:
    """The action hands its url input to dbci as DBCI_URL; the build environment (whose
    provisioner cleans) keeps its own url: the build cleans the build database, and the
    target of the url input is only read."""
    before = estate.state("prod")
    (estate.root / "dbci.toml").write_text(_config(estate.urls))
    done = _action(estate, tmp_path, command="pipeline", url=estate.urls["prod"])
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((estate.root / "dbci-report" / "report.json").read_text())
    assert report["build"]["status"] == "passed"
    assert estate.state("prod") == before
