"""Injection: data that carries markup or commands changes nothing but the text it shows.

Object names (PostgreSQL allows any text in a quoted identifier, newlines included),
migration file names and descriptions, SQL text, error messages and findings here carry
HTML (`<script>`, `<img onerror>`, `</details>`, `<!--`), Markdown (`|`, backticks,
`[x](javascript:…)`, `@org/team`, `#12`, headings, the hidden marker the comment upsert
looks for), GitHub workflow commands (`::error::`, `::set-output`, `::add-mask::`,
`::stop-commands::`, v1 `##[set-output …]`, leading whitespace before `::`), Azure logging
commands (`##vso[…]`), ANSI escapes, carriage returns and newlines, and a SQL statement
after a line break. A real project on PostgreSQL is built, checked (with drift), failed and
deployed through entrypoint.py, as GitHub, GitLab and Azure run it; a report.json whose
every string is hostile is rendered too. Then:

* report.html, in headless Chromium: no script runs, no element the template did not make,
  no request, and every name shows as the text it is;
* comment.md, summary.md and the comments posted, parsed as CommonMark: no HTML but the
  template's, no link, image, mention, reference or heading the template did not make, the
  marker once and first, the dry-run SQL whole in its fence;
* results.sarif and junit.xml: valid against their schemas, the text round-trips;
* the workflow log, parsed as the runners parse it: GitHub's (v2 `::` lines, v1 `##[`,
  `::stop-commands::`), Azure's (`##vso[`), and GitLab's (ANSI escapes): the only commands
  are entrypoint.py's own, `$GITHUB_OUTPUT` holds the five outputs and no forged one;
* the dry-run and drift scripts, run on copies of the target: a file name's line break
  ends no SQL comment.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import psycopg
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from psycopg import sql
from support import postgres
from support.cli import run_entrypoint
from test_report_comments import GITHUB_TOKEN, Api, azure_env, gitlab_env, serving
from test_report_html import Proxy, run_chromium

from dbci.analysis.rules_page import RULES_PAGE_URL, SQLFLUFF_RULES_URL, rule_url
from dbci.ci.comments import comment_marker
from dbci.logtext import visible_controls
from dbci.report.junit import xml_text
from dbci.report.ranking import rows
from dbci.report.render import render_all
from dbci.report.sarif import repository_prefix
from dbci.report.text_diff import folds, lines

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TIMEOUT_SECONDS = 180
MARKER = comment_marker("shop", "qa", "check")


def q(name: str) -> str:
    """A quoted PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'


# --- The hostile project --------------------------------------------------------------------
#
# Each name is at most 63 bytes (PostgreSQL's limit). File names hold no `/`.

T_IMG = "<img src=x onerror=alert(1)>"
T_DETAILS = "</details><script>alert(1)</script>"
T_MARKDOWN = "a|b\n## heading\n::error::pwned"
V_LINK = "[x](javascript:alert(1)) @org/team #12"
T_VSO = "##vso[task.setvariable variable=x]y"
T_CR = "\r::set-output name=a::b"
T_LEAD = "\n  ::notice::after leading whitespace"
FORGED = "forged by a name"
T_FORGE = f"t\ndbci: error: {FORGED}"  # a line the action would take for dbci's error
C_MASK = "::add-mask::col"
C_LEAD = "  ::warning::lead"
C_V1 = "##[set-output name=a;]b"
C_ANSI = "\x1b[31m\x1b[1Ared"
K_STOP = "::stop-commands::tok"
F_RLO = "::endgroup::\u202e"
I_ERROR = "\n::error file=x,line=1::idx"
C_MD = "`x` ``` **b** <!-- c"
D_TABLE = "##[error]drift <b>x</b> www.evil.example"
D_COLUMN = "::error::drift https://evil.example"
VICTIM = "victim"
# An error message from the database: RAISE EXCEPTION with SQL escapes (E'…').
RAISED = (
    r"<script>alert(1)</script>\n::error::pwned\r##vso[task.complete result=Failed]"
    r"\x1b[31m [x](javascript:alert(1)) @org/team #12 </details>"
)

MIGRATIONS = {
    "V1__<img_src=x_onerror=alert(1)>.sql": (
        f"CREATE TABLE {q(T_IMG)} (id int PRIMARY KEY, {q(C_MASK)} text, {q(C_LEAD)} int);\n"
        f"CREATE TABLE {q(T_DETAILS)} (id int, {q(C_V1)} int);\n"
        f"CREATE TABLE {q(T_MARKDOWN)} (id int CONSTRAINT {q(K_STOP)} CHECK (id > 0));\n"
        f"CREATE VIEW {q(V_LINK)} AS SELECT id FROM {q(T_IMG)};\n"
        f"CREATE TABLE {VICTIM} (id int);\n"
    ),
    "V2__::error::pwned_##vso[task.setvariable_variable=y]z.sql": (
        f"-- ``` </details> {MARKER} ::error::sql ##vso[task.complete result=Failed]\n"
        f"CREATE TABLE {q(T_VSO)} (id int, {q(C_ANSI)} int);\n"
        f"CREATE TABLE {q(T_CR)} (id int);\n"
        f"CREATE TABLE {q(T_FORGE)} (id int);\n"
        f"CREATE TABLE {q(T_LEAD)} (id int);\n"
        f"CREATE VIEW {q(MARKER)} AS SELECT 1 AS {q(C_MD)};\n"
    ),
    "V3__[x](javascript:alert(1))_@octocat_|_#12_`tick`_www.evil.example.sql": (
        f"CREATE INDEX {q(I_ERROR)} ON {q(T_MARKDOWN)} (id);\n"
        f"DELETE FROM {q(T_DETAILS)};\n"
        f"DROP TABLE {q(T_IMG)} CASCADE;\n"
    ),
    # A line break in the file name, then a statement: it must stay inside SQL comments.
    "V4__a\nDROP_TABLE_victim;_--\r::warning::nl_##[error]cr\x1b[2K.sql": (
        f"CREATE FUNCTION {q(F_RLO)}() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
    ),
}
FAILING = (
    "V5__<script>boom<_script>.sql",
    f"DO $$ BEGIN RAISE EXCEPTION E'{RAISED}'; END $$;\n",
)
# Strings the pages must show as text (each is in some name, message or description).
SHOWN = (
    T_IMG,
    T_DETAILS,
    "a|b",
    "## heading",
    V_LINK,
    T_VSO,
    "::set-output name=a::b",
    C_MASK,
    "##[error]drift <b>x</b>",
)

# Every kind of payload, for a report.json whose every string carries one.
PAYLOADS = (
    "<script>alert(1)</script>",
    '<img src=x onerror=alert(1)> "><svg onload=alert(1)>',
    "</details></pre></td></tr></table><!--",
    "a|b|c\n| --- |\n## heading\n---\n> quote",
    "`code` ``` ~~~ **b** _i_ ~~s~~",
    "[x](javascript:alert(1)) ![i](https://evil.example/i.png) <https://evil.example>",
    "@org/team @octocat #12 www.evil.example https://evil.example x@evil.example",
    f"{MARKER} <!-- dbci-report project=shop environment=qa stage=deploy -->",
    "::error::pwned\n::set-output name=a::b\n  ::add-mask::m\n::stop-commands::tok",
    "##[set-output name=a;]b ##vso[task.setvariable variable=x]y ##[error]e",
    "\x1b[2K\x1b[1A\x1b[31mred\r::warning::cr\u2028::notice::ls\u202e",
    "&lt;b&gt; &#x3C;script&#x3E; %0A%25 ::",
)


def write_project(root: Path, target: str, build_server: str, extra: bool = False) -> Path:
    """The hostile project `shop` (named so for the marker) against `target`."""
    migrations = root / "shop" / "migrations"
    migrations.mkdir(parents=True)
    files = dict(MIGRATIONS)
    if extra:
        files[FAILING[0]] = FAILING[1]
    for name, text in files.items():
        (migrations / name).write_text(text, encoding="utf-8")
    (root / "shop" / "dbci.toml").write_text(
        f'[environments.qa]\nurl = "{target}"\n\n'
        f'[environments.build]\nurl = "{build_server}"\nprovisioner = "create-database"\n\n'
        # Named `shop` on every platform (GITHUB_REPOSITORY would name it acme/shop), so
        # that the marker the migrations carry is the real one.
        '[dbci]\nproject = "shop"\n',
        encoding="utf-8",
    )
    return root / "shop"


def hostile_report() -> dict[str, Any]:
    """A report.json with every section filled and every string a payload (and every key
    of a mapping the template lists, too)."""
    from test_report_html import rich_report

    report = rich_report()
    report["deploy"] = {
        "status": "failed",
        "from_version": "1",
        "to_version": "3",
        "applied": [{"version": "2", "description": "x", "script": "V2__x.sql"}],
        "targets": [{"environment": "qa", "status": "failed", "error": "boom"}],
    }
    report["build"]["error"] = "boom"
    report["dryrun"]["error"] = "boom"
    counter = iter(range(10_000))

    def hostile(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {
                (f"{PAYLOADS[next(counter) % len(PAYLOADS)]} {k}" if key == "timings" else k): (
                    hostile(v, k)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [hostile(v, key) for v in value]
        if isinstance(value, str):
            number = next(counter)
            return f"{PAYLOADS[number % len(PAYLOADS)]} {number}"
        return value

    made = hostile(report)
    made["schema"] = "dbci-report/1"  # else the report is refused, rightly
    return made


# --- Running it ------------------------------------------------------------------------------


@dataclass
class Run:
    """One entrypoint.py (or dbci) run: its log, its files, its report."""

    label: str
    platform: str  # github | gitlab | azure | cli
    project: Path
    report_dir: Path
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    output_file: str = ""
    summary_file: str = ""
    stages: int = 0

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "report.json").read_text(encoding="utf-8"))


@dataclass
class Hostile:
    """Everything the tests look at."""

    runs: dict[str, Run] = field(default_factory=dict)
    synthetic: Path = Path()
    api: Api = field(default_factory=Api)
    dryrun_copy: str = ""
    revert_copy: str = ""
    target_url: str = ""


def _environ() -> dict[str, str]:
    """This process's environment without dbci's, the action's or a CI platform's."""
    skip = ("DBCI_", "INPUT_", "GITHUB_", "GITLAB_", "CI_", "SYSTEM_", "BUILD_", "TF_BUILD")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    return env | {"no_proxy": "*", "NO_PROXY": "*"}


def _entrypoint(workspace: Path, run: Run, api: Api, inputs: dict[str, str], stages: int) -> Run:
    """entrypoint.py as the platform's runner starts the action (or the image)."""
    env = _environ()
    output, summary = workspace / "output.txt", workspace / "summary.md"
    if run.platform == "github":
        event = workspace / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "abc123"}}}))
        env |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_API_URL": f"{api.url}/gh",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_SERVER_URL": "https://github.test",
        }
        inputs = {"github-token": GITHUB_TOKEN} | inputs
    elif run.platform == "gitlab":
        env |= gitlab_env(api.url)
    else:
        env |= azure_env(api.url)
    given = {"working-directory": "shop", "environment": "qa", "comment": "true"} | inputs
    env |= {f"INPUT_{name.upper()}": value for name, value in given.items()}
    done = run_entrypoint(workspace, env, timeout=TIMEOUT_SECONDS)
    run.stdout, run.stderr, run.returncode, run.stages = (
        done.stdout,
        done.stderr,
        done.returncode,
        stages,
    )
    run.output_file = output.read_text(encoding="utf-8") if output.exists() else ""
    run.summary_file = summary.read_text(encoding="utf-8") if summary.exists() else ""
    return run


def _dbci(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbci", *args],
        cwd=project,
        env=_environ() | env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture(scope="module")
def hostile(
    pg_cluster: postgres.PgCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    """The hostile project built, checked, failed and deployed through entrypoint.py on each
    platform, and the hostile report.json rendered; copies of the target for the scripts."""
    base = tmp_path_factory.mktemp("injection")
    state = Hostile()
    with serving(state.api):
        target = pg_cluster.create_database()
        copies: list[str] = []
        try:
            state.target_url = pg_cluster.database_url(target)
            admin = pg_cluster.admin_url

            def project(name: str, extra: bool = False) -> Path:
                return write_project(base / name, state.target_url, admin, extra)

            # The target: at version 1, then drifted behind dbci's back.
            first = project("setup")
            done = _dbci(first, "-e", "qa", "migrate", "--target", "1", env={})
            assert done.returncode == 0, done.stderr
            with postgres.connect(state.target_url, autocommit=True) as conn:
                conn.execute(f"CREATE TABLE {q(D_TABLE)} (id int)")
                conn.execute(f"ALTER TABLE {q(T_IMG)} ADD COLUMN {q(D_COLUMN)} int")

            runs = state.runs
            for label, platform in (
                ("pipeline", "github"),
                ("gitlab", "gitlab"),
                ("azure", "azure"),
            ):
                shop = project(label)
                run = Run(label, platform, shop, shop / "dbci-report")
                runs[label] = _entrypoint(base / label, run, state.api, {"command": "pipeline"}, 2)
            # A migration whose SQL fails with a hostile message; a report directory whose name
            # holds a line break and what would be another output.
            shop = project("failing", extra=True)
            report_dir = "dbci-report\nstatus=passed"
            run = Run("failing migration", "github", shop, shop / report_dir)
            runs["failing"] = _entrypoint(
                base / "failing",
                run,
                state.api,
                {"command": "pipeline", "report-dir": report_dir, "comment": "false"},
                2,
            )
            # dbci itself, without the entrypoint, as a workflow's `run:` step would call it.
            shop = runs["gitlab"].project
            for label, args in (("cli text", ()), ("cli json", ("--output", "json"))):
                done = _dbci(
                    shop,
                    "-e",
                    "qa",
                    "--report-dir",
                    f"direct-{len(args)}",
                    "check",
                    *args,
                    env={"GITHUB_ACTIONS": "true", "TF_BUILD": "True"},
                )
                run = Run(label, "cli", shop, shop / f"direct-{len(args)}")
                run.stdout, run.stderr, run.returncode = done.stdout, done.stderr, done.returncode
                runs[label] = run
            # Copies of the target as the check saw it, for its scripts, before deploy moves it.
            for name in ("dryrun", "revert"):
                copy = f"{target}_{name}"
                pg_cluster.admin_connection().execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(copy), sql.Identifier(target)
                    )
                )
                copies.append(copy)
            state.dryrun_copy, state.revert_copy = (pg_cluster.database_url(c) for c in copies)
            shop = project("deploy")
            run = Run("deploy", "github", shop, shop / "dbci-report")
            runs["deploy"] = _entrypoint(
                base / "deploy",
                run,
                state.api,
                {"command": "deploy", "fail-on-drift": "false", "comment": "false"},
                2,
            )
            # Every string of a report.json hostile, rendered as `dbci report` renders it.
            state.synthetic = base / "synthetic" / "dbci-report"
            state.synthetic.mkdir(parents=True)
            (state.synthetic / "report.json").write_text(json.dumps(hostile_report()))
            links = {
                "GITHUB_REPOSITORY": "acme/shop",
                "GITHUB_SHA": "abc123",
                "GITHUB_SERVER_URL": "https://github.test",
            }
            render_all(state.synthetic, state.synthetic.parent, environ=links)
            yield state
        finally:
            for name in [*copies, target]:
                pg_cluster.drop_database(name)


# --- report.html -----------------------------------------------------------------------------

HARNESS = """
<script>
window.addEventListener('load', function () {
  var tags = {}, handlers = [], urls = [];
  [].forEach.call(document.querySelectorAll('*'), function (e) {
    var t = e.tagName.toLowerCase();
    tags[t] = (tags[t] || 0) + 1;
    [].forEach.call(e.attributes, function (a) {
      if (/^on/i.test(a.name)) handlers.push(t + ' ' + a.name);
      if (/^(src|href|action|formaction|data|poster|srcset|xlink:href)$/i.test(a.name))
        urls.push(t + ' ' + a.name + '=' + a.value);
    });
  });
  var out = document.createElement('pre');
  out.id = 'injection-result';
  out.textContent = JSON.stringify({
    alerted: window.__alerted || false, tags: tags, handlers: handlers, urls: urls,
    text: document.body.textContent});
  document.body.appendChild(out);
});
</script>
"""
TRAP = (
    "<script>window.alert = window.confirm = window.prompt = function () {"
    " window.__alerted = true; };</script>"
)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path; skipped without it, failed without it under CI=true."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not on PATH (apt-get install -y chromium)")
    return path


def _template_tags() -> set[str]:
    source = (ROOT / "templates" / "report.html.j2").read_text(encoding="utf-8")
    return {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", source)}


def _shown_strings(report: dict[str, Any]) -> list[str]:
    """Strings of report.json the page shows whole: names, messages, descriptions, scripts,
    errors and SQL; an object's SQL, shown as a line diff, line by line."""
    shown: list[str] = []
    changes = report.get("changes") or {}
    drift = report.get("drift") or {}
    build = report.get("build") or {}

    def sql_lines(*texts: Any) -> list[str]:
        return [line for text in texts if isinstance(text, str) for line in lines(text)]

    for o in changes.get("objects") or []:
        shown += [o.get("name"), o.get("type")]
        shown += sql_lines(o.get("before_sql"), o.get("after_sql"))
    for m in changes.get("pending") or []:
        shown += [m.get("description"), m.get("script")]
    for i in drift.get("items") or []:
        shown += [i.get("name"), *sql_lines(i.get("expected_sql"), i.get("actual_sql"))]
    for r in drift.get("repo") or []:
        shown += [r.get("message"), r.get("file")]
    for f in (report.get("code") or {}).get("findings") or []:
        shown += [f.get("message"), f.get("rule"), f.get("file")]
    for m in build.get("migrations") or []:
        shown += [m.get("description"), m.get("script")]
    shown += [build.get("error"), (report.get("dryrun") or {}).get("error")]
    shown += [(report.get("dryrun") or {}).get("sql")]
    for t in (report.get("deploy") or {}).get("targets") or []:
        shown += [t.get("environment"), t.get("error")]
        shown += [m.get("script") for m in t.get("applied") or []]
    return [s for s in shown if isinstance(s, str) and s]


def _folds(report: dict[str, Any]) -> int:
    """How many runs of unchanged lines report.html's diff view folds into a `<details>`."""
    pairs = [
        (o.get("before_sql"), o.get("after_sql"))
        for o in (report.get("changes") or {}).get("objects") or []
    ] + [
        (i.get("expected_sql"), i.get("actual_sql"))
        for i in (report.get("drift") or {}).get("items") or []
    ]
    return sum(folds(a, b) for a, b in pairs)


def rule_doc(url: str) -> bool:
    """Whether `url` is a rule's documentation: a section of dbci's rules page, or an entry
    of SQLFluff's rules reference."""
    return bool(
        re.fullmatch(re.escape(RULES_PAGE_URL) + r"#db\d{3}-[a-z-]+", url)
        or re.fullmatch(re.escape(SQLFLUFF_RULES_URL) + r"#rule-[A-Z]{2}\d{2}", url)
    )


def _html_text(text: str) -> str:
    """Text as an HTML parser keeps it: line breaks normalised (CR and CRLF become LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def check_page(chromium: str, page: Path, report: dict[str, Any], work: Path) -> None:
    """report.html in Chromium: no script ran, no element or URL the template did not make,
    no request, every name shown as its text."""
    source = page.read_text(encoding="utf-8")
    assert source.count("<script") == 1 and source.count("</script>") == 1
    trapped = source.replace("<head>", "<head>\n" + TRAP, 1).replace("</body>", HARNESS + "</body>")
    copy = work / "page.html"
    copy.write_text(trapped, encoding="utf-8")
    proxy = Proxy()
    try:
        dom = run_chromium(
            chromium,
            copy,
            proxy,
            "--dump-dom",
            "--virtual-time-budget=3000",
            width=1280,
            height=900,
        )
        requests = proxy.requests()
    finally:
        proxy.close()
    found = re.search(r'<pre id="injection-result">(.*?)</pre>', dom, re.S)
    assert found, dom[-1500:]
    result = json.loads(html.unescape(found.group(1)))
    assert result["alerted"] is False, "a script ran"
    assert requests == [], requests
    assert result["handlers"] == [], result["handlers"]
    # The favicon's data: URL is the page's only URL to load; the rest are links (which
    # load nothing) from a known rule id to its documentation.
    urls = [u for u in result["urls"] if not rule_doc(u.removeprefix("a href="))]
    assert urls == ["link href=data:,"], result["urls"]
    tags = result["tags"]
    unexpected = set(tags) - _template_tags() - {"html", "head", "body"}
    assert not unexpected, f"elements the template did not make: {unexpected}"
    # The page's script, the trap and the harness; the template's one style, link, title.
    assert tags["script"] == 3 and tags["style"] == 1 and tags["link"] == 1, tags
    # <details>: only the diff view's folds of unchanged lines, none from a value.
    assert tags["title"] == 1 and tags["meta"] == 3, tags
    assert tags.get("details", 0) == _folds(report), tags
    text = result["text"]
    missing = [s for s in _shown_strings(report) if _html_text(s) not in text]
    assert not missing, f"not shown as text: {missing[:3]!r}"


@pytest.mark.parametrize(
    ("label", "which"),
    [
        ("pipeline with drift and findings", "pipeline"),
        ("failed migration", "failing"),
        ("deploy", "deploy"),
        ("every field hostile", "synthetic"),
    ],
)
def test_report_html(
    hostile: Hostile, chromium: str, tmp_path: Path, scenarios, label: str, which: str
) -> None:
    directory = hostile.synthetic if which == "synthetic" else hostile.runs[which].report_dir
    with scenarios.run("injection: report.html", label):
        report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
        if which == "pipeline":
            names = json.dumps(report)
            assert all(json.dumps(s)[1:-1] in names for s in SHOWN), "the run lost a name"
        check_page(chromium, directory / "report.html", report, tmp_path)


# --- comment.md and summary.md ---------------------------------------------------------------

DETAILS_OPEN = "<details><summary>Dry run: the SQL deploy would run</summary>"


def markdown() -> MarkdownIt:
    """CommonMark with GFM's tables and strikethrough; escapes kept apart from the text
    around them (no text_join), so that a literal `www.` or `://` can be told from an
    escaped one, as GitHub's autolinks tell them."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")


def _groups(report: dict[str, Any]) -> dict[str, int]:
    groups = {"Add": 0, "Change": 0, "Drop": 0}
    for o in (report.get("changes") or {}).get("objects") or []:
        groups[o.get("change", "Change")] = groups.get(o.get("change", "Change"), 0) + 1
    return groups


def expected_markdown(report: dict[str, Any], *, links: bool) -> dict[str, Any]:
    """What the template makes of `report` (not brief): heading levels in order, and how
    many list items, strong spans, code spans, links, fences and block quotes."""
    changes, drift = report.get("changes"), report.get("drift")
    code, build = report.get("code"), report.get("build")
    findings = (code or {}).get("findings") or []
    headings = [2]
    items = 0
    targets = (report.get("deploy") or {}).get("targets") or []
    if report.get("deploy"):  # the Deploy section: a line per target, its applied scripts
        headings.append(3)
        for t in targets:
            applied = t.get("applied") or []
            items += 1 + min(len(applied), 50) + (len(applied) > 50)
    if changes:
        pending = changes.get("pending") or []
        headings += [3] + [4] * sum(1 for n in _groups(report).values() if n)
        items += min(len(pending), 100) + (len(pending) > 100) + len(changes.get("objects") or [])
    # What changes inside each object (and each drift item shown): one nested item per part.
    parts = [d for o in (changes or {}).get("objects") or [] for d in o.get("details") or []]
    if drift:
        headings.append(3)
        if drift.get("detected"):
            items += min(len(drift.get("items") or []), 50) + len(drift.get("repo") or [])
            parts += [d for i in (drift.get("items") or [])[:50] for d in i.get("details") or []]
    items += len(parts)
    # The comment's findings: SQLFluff's style findings one row per rule (dbci.report.ranking).
    shown = rows(findings)[:20] if code else []
    if code:
        headings.append(3)
        items += len(shown)
    listed = len(shown)
    # A row's rule id is a link when it is a known rule's (never a hostile id).
    rule_links = sum(1 for r in shown if rule_url(r.get("rule"), r.get("source")))
    strong = (
        listed + (1 if build else 0) + (1 if build and build.get("undo_verified") is False else 0)
    )
    # A run that did not pass names its failed gates after a bold "Failed:".
    strong += report.get("status") != "passed"
    # Each change that can lose data, and each drift item whose revert can, is marked in bold.
    strong += sum(1 for o in (changes or {}).get("objects") or [] if o.get("destructive"))
    if drift and drift.get("detected"):
        strong += sum(1 for i in (drift.get("items") or [])[:50] if i.get("revert_destructive"))
    # And so is each part of an object that causes it.
    strong += sum(bool(d.get("destructive")) + bool(d.get("revert_destructive")) for d in parts)
    dryrun = report.get("dryrun") or {}
    return {
        "headings": headings,
        "items": items,
        "strong": strong,
        "code_inline": 2 if drift and drift.get("detected") else 0,
        "links": (listed if links else 0) + rule_links,
        "fences": 1 if dryrun.get("sql") else 0,
        # A text diff inside an object (a view's query, a routine's body): its lines, fenced.
        "diffs": ["\n".join(d["lines"]) for d in parts if d.get("lines")],
        "blockquotes": (1 if build and build.get("error") else 0)
        + sum(1 for t in targets if t.get("error")),
    }


# The first cell of each row of the checks table (dbci.report.gates): a check's name.
GATE_NAMES = {"Build", "Changes", "Drift", "Code analysis", "Dry run"}
GATE_ICONS = {"✅", "⚠️", "❌"}


def check_gates_table(tokens: list[Token], report: dict[str, Any]) -> None:
    """The only table is the checks table: one row per check that ran, three cells each
    (name, icon, reason), whatever the report's strings hold (an escaped `|` makes no
    cell, a newline no row)."""
    assert sum(1 for t in tokens if t.type == "table_open") == (
        1 if any(report.get(s) for s in ("build", "changes", "drift", "code", "dryrun", "deploy"))
        else 0
    )
    rows: list[list[str]] = []
    inside = False
    for token in tokens:
        if token.type == "tbody_open":
            inside = True
        elif token.type == "tbody_close":
            inside = False
        elif inside and token.type == "tr_open":
            rows.append([])
        elif inside and token.type == "inline":
            rows[-1].append(token.content)
    targets = (report.get("deploy") or {}).get("targets") or []
    assert all(len(row) == 3 for row in rows), rows
    names = [row[0] for row in rows]
    assert all(n in GATE_NAMES or n.startswith("Deploy to ") for n in names), names
    assert sum(1 for n in names if n.startswith("Deploy to ")) == len(targets), names
    assert len(set(names)) == len(names) and all(row[1] in GATE_ICONS for row in rows), rows


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9]")
REFERENCE = re.compile(r"(?<![\w&#])#\d")
AUTOLINK = re.compile(r"(?i)(?:https?|ftp|mailto):|www\.|[\w.+-]@[\w-]+\.\w")


def marker_of(report: dict[str, Any]) -> str:
    """The marker of the report's comment: its project, environment and stage."""
    stage = "deploy" if report.get("deploy") else "check"
    return comment_marker(str(report.get("project")), report.get("environment"), stage)


def check_markdown(text: str, report: dict[str, Any], *, comment: bool, links: bool) -> None:
    """`text` (comment.md, summary.md or a posted comment) parsed as CommonMark: exactly the
    structure the template makes of `report`, whatever its strings hold."""
    marker = marker_of(report)
    tokens = markdown().parse(text)
    everything = list(_walk(tokens))
    kinds = [t.type for t in everything]
    want = expected_markdown(report, links=links)
    # HTML: the marker first (in a comment), the dry run's <details> — nothing else.
    html_blocks = [t.content.strip() for t in tokens if t.type == "html_block"]
    allowed = [DETAILS_OPEN, "</details>"] if want["fences"] else []
    if comment:
        assert tokens[0].type == "html_block" and tokens[0].content.strip() == marker
        assert text.count(marker) == 1 and text.startswith(marker)
        assert html_blocks == [marker, *allowed], html_blocks
    else:
        assert marker not in text and html_blocks == allowed, html_blocks
    # No other comment's marker either (another stage's, which the SQL carries).
    assert text.count("<!-- dbci-report") == comment
    assert "html_inline" not in kinds and "image" not in kinds
    check_gates_table(tokens, report)
    assert "em_open" not in kinds and "s_open" not in kinds and "hr" not in kinds
    headings = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    assert headings == want["headings"], headings
    assert kinds.count("list_item_open") == want["items"]
    assert kinds.count("strong_open") == want["strong"]
    assert kinds.count("code_inline") == want["code_inline"]
    assert kinds.count("blockquote_open") == want["blockquotes"]
    hrefs = [t.attrs["href"] for t in everything if t.type == "link_open"]
    assert len(hrefs) == want["links"], hrefs
    assert all(
        str(h).startswith("https://github.test/acme/shop/blob/abc123/") or rule_doc(str(h))
        for h in hrefs
    ), hrefs
    diffs = [t for t in tokens if t.type == "fence" and t.info == "diff"]
    # Each diff whole, in its own fence (indented under its object's item).
    shown_diffs = [re.sub(r"\r\n?", "\n", t.content).rstrip("\n") for t in diffs]
    marked = [d.replace("dbci-report", "dbci\u2060-report") for d in want["diffs"]]
    assert shown_diffs == ["\n".join(d.splitlines()) for d in marked], shown_diffs
    fences = [t for t in tokens if t.type == "fence" and t.info != "diff"]
    assert len(fences) == want["fences"]
    if fences:  # the whole script, in one fence: nothing in it closed the fence early
        sql = (report.get("dryrun") or {}).get("sql") or ""
        shown = re.sub(r"\r\n?", "\n", sql).replace("dbci-report", "dbci\u2060-report")
        assert fences[0].content.rstrip("\n") == shown.rstrip() and fences[0].info == "sql"
    for inline in (t for t in tokens if t.type == "inline"):
        parts = [c for c in inline.children or [] if c.type in ("text", "text_special")]
        literal = [c.content for c in parts if c.type == "text"]
        # GitHub's autolinks start at a literal `www.`, `scheme:` or `x@y.z`: an escaped
        # character (text_special) in them breaks them.
        assert not any(AUTOLINK.search(t) for t in literal), literal
        # Mentions and issue references are linked in the rendered text, escapes or not.
        shown = "".join(c.content for c in parts)
        assert not MENTION.search(shown) and not REFERENCE.search(shown), shown


def _comment_bodies(api: Api) -> list[tuple[str, str]]:
    bodies = [("github", c["body"]) for c in api.github.get(7, [])]
    bodies += [("gitlab", n["body"]) for n in api.gitlab.get("3", [])]
    for thread in api.azure.get("11", []):
        bodies += [("azure", c["content"]) for c in thread.get("comments", [])]
    return bodies


def test_comment_and_summary(hostile: Hostile, scenarios) -> None:
    family = "injection: comment and summary"
    sources = [
        (label, run.report_dir, run.platform == "github")
        for label, run in (
            ("pipeline", hostile.runs["pipeline"]),
            ("failed migration", hostile.runs["failing"]),
            ("deploy", hostile.runs["deploy"]),
            ("gitlab", hostile.runs["gitlab"]),
        )
    ]
    sources.append(("every field hostile", hostile.synthetic, True))
    for label, directory, links in sources:
        report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
        for name in ("comment.md", "summary.md"):
            with scenarios.run(family, f"{label}: {name}"):
                text = (directory / name).read_text(encoding="utf-8")
                comment = name == "comment.md"
                check_markdown(text, report, comment=comment, links=links and comment)
    pipeline = hostile.runs["pipeline"].report
    with scenarios.run(family, "the step summary"):
        check_markdown(hostile.runs["pipeline"].summary_file, pipeline, comment=False, links=False)
    with scenarios.run(family, "the comments posted"):
        bodies = _comment_bodies(hostile.api)
        assert {platform for platform, _ in bodies} == {"github", "gitlab", "azure"}, bodies
        for platform, body in bodies:
            check_markdown(body, pipeline, comment=True, links=platform == "github")


# --- SARIF and JUnit -------------------------------------------------------------------------


def test_sarif_and_junit(hostile: Hostile, junit_schema, sarif_validator, scenarios) -> None:
    family = "injection: SARIF and JUnit"
    directories = {label: run.report_dir for label, run in hostile.runs.items()}
    directories["every field hostile"] = hostile.synthetic
    for label in ("pipeline", "failing", "deploy", "every field hostile"):
        directory = directories[label]
        report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
        findings = (report.get("code") or {}).get("findings") or []
        project = directory.parent
        prefix = repository_prefix(project.resolve()) if label != "every field hostile" else ""
        with scenarios.run(family, f"{label}: results.sarif"):
            log = json.loads((directory / "results.sarif").read_text(encoding="utf-8"))
            sarif_validator.validate(log)
            results = log["runs"][0]["results"]
            assert sorted(r["message"]["text"] for r in results) == sorted(
                str(f["message"]) for f in findings
            )
            for result in results:
                uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                # One URI reference, its path whole: nothing in a file name ends it.
                assert not re.search(r"[\s#?\x00-\x1f\x7f]", uri), uri
                assert unquote(uri) in {prefix + str(f["file"]) for f in findings}, uri
        with scenarios.run(family, f"{label}: junit.xml"):
            text = (directory / "junit.xml").read_text(encoding="utf-8")
            junit_schema.validate(text)
            tree = ET.fromstring(text)
            failures = [
                (f.get("message") or "") + "\n" + (f.text or "") for f in tree.iter("failure")
            ]
            for finding in findings:
                if finding.get("severity") in ("error", "warning"):
                    # XML keeps the text as it was (but for what XML 1.0 cannot hold, and
                    # CR, which XML reads as a line break).
                    message = xml_text(finding["message"]).replace("\r", "\n")
                    assert any(message in f.replace("\r", "\n") for f in failures), message


# --- The workflow log ------------------------------------------------------------------------


@dataclass
class Command:
    """A workflow command as GitHub's runner parses it."""

    name: str
    properties: dict[str, str]
    data: str
    line: str


def _unescape(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%0D", "\r").replace("%0A", "\n")
    if property_value:
        value = value.replace("%3A", ":").replace("%2C", ",")
    return value.replace("%25", "%")


def _v2(line: str) -> Command | None:
    """`::name key=value,…::data`, after leading whitespace (any name: stricter than the
    runner, which needs a registered one)."""
    text = line.lstrip()
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    name, _, props = text[2:end].partition(" ")
    properties = {}
    for item in props.strip().split(","):
        key, sep, value = item.partition("=")
        if sep and key:
            properties[key] = _unescape(value, property_value=True)
    return Command(name, properties, _unescape(text[end + 2 :]), line)


def _v1(line: str) -> Command | None:
    """`##[name key=value;…]data` anywhere in a line (any occurrence, any name)."""
    for found in re.finditer(r"##\[([^\]\s]*)[^\]]*\]", line):
        if found.group(1):
            return Command(found.group(1), {}, line[found.end() :], line)
    return None


def github_commands(log: str) -> list[Command]:
    """The commands GitHub's runner carries out, in order, reading `log` line by line
    (lines end at CR as well as LF): a v2 command, else a v1 one; between
    `::stop-commands::TOKEN` and a `TOKEN` command, none but that one."""
    found: list[Command] = []
    token: str | None = None
    for line in log.splitlines():
        command = _v2(line) or _v1(line)
        if command is None:
            continue
        if token is not None:
            if command.name == token:
                token = None
                found.append(command)
            continue
        if command.name == "stop-commands":
            token = command.data
        found.append(command)
    return found


AZURE = re.compile(r"(?i)##vso\[|##\[")
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def expected_annotations(report: dict[str, Any], prefix: str) -> list[tuple[str, str, str]]:
    """(kind, file, message) of the annotations the action owes the report's findings: the
    ten most severe, as the log shows them (control characters as escapes)."""
    findings = [f for f in (report.get("code") or {}).get("findings") or []]
    findings = [f for f in findings if f.get("severity") != "info"]
    rank = {"error": 0, "warning": 1}
    findings.sort(key=lambda f: (rank.get(f["severity"], 2), f.get("file", ""), f.get("line", 0)))
    return [
        (
            "error" if f["severity"] == "error" else "warning",
            visible_controls(prefix + str(f["file"])),
            visible_controls(str(f["message"])),
        )
        for f in findings[:10]
    ]


def check_github_log(run: Run) -> None:
    """The only commands: masks, the stages' groups with their stop-commands, the
    annotations the report owes, the stages' error lines."""
    assert not CONTROLS.search(run.stdout + run.stderr), "a control character in the log"
    assert github_commands(run.stderr) == [], "a command on standard error"
    commands = github_commands(run.stdout)
    counts: dict[str, int] = {}
    tokens: list[str] = []
    annotations: list[tuple[str, str, str]] = []
    for command in commands:
        name = command.name
        if name in tokens:
            name = "resume"
            assert command.line == f"::{command.name}::"
        counts[name] = counts.get(name, 0) + 1
        if name == "add-mask":
            assert command.data == GITHUB_TOKEN
        elif name == "group":
            assert command.data.startswith("dbci --project shop ")
        elif name == "endgroup":
            assert command.data == ""
        elif name == "stop-commands":
            assert re.fullmatch(r"[0-9a-f]{32}", command.data) and command.data not in tokens
            assert run.stdout.count(command.data) == 2  # its start and its end, nowhere else
            tokens.append(command.data)
        elif name in ("error", "warning") and "file" in command.properties:
            annotations.append((name, command.properties["file"], command.data))
        elif name == "error":  # a stage's error line, which no name can pass for
            assert not command.properties and command.data.startswith("dbci: ")
            assert "\n" not in command.data and FORGED not in command.data
        elif name == "notice":
            assert re.fullmatch(r"\d+ more findings are in the report \(\d+ in all\)", command.data)
        elif name != "resume":
            raise AssertionError(f"a command the action did not write: {command.line!r}")
    stages = run.stages
    for name in ("group", "endgroup", "stop-commands", "resume"):
        assert counts.get(name, 0) == stages, (name, counts)
    prefix = repository_prefix(run.project.resolve())
    report = run.report if run.returncode != 3 else {}
    assert annotations == expected_annotations(report, prefix)


def parse_github_output(text: str) -> list[tuple[str, str]]:
    """`$GITHUB_OUTPUT` as the runner reads it: `name=value`, or `name<<DELIMITER` up to a
    line that is the delimiter."""
    outputs: list[tuple[str, str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if heredoc > 0 and (equals < 0 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            end = lines.index(delimiter, index)  # ValueError: an unterminated value
            outputs.append((name, "\n".join(lines[index:end])))
            index = end + 1
        else:
            assert equals > 0, f"not an output line: {line!r}"
            outputs.append((line[:equals], line[equals + 1 :]))
    return outputs


def test_workflow_log(hostile: Hostile, scenarios) -> None:
    family = "injection: workflow log"
    for label in ("pipeline", "failing", "deploy"):
        run = hostile.runs[label]
        with scenarios.run(family, f"GitHub: {run.label}"):
            assert run.returncode == {"pipeline": 1, "failing": 1, "deploy": 0}[label], run.stdout[
                -3000:
            ]
            check_github_log(run)
            outputs = parse_github_output(run.output_file)
            names = [name for name, _ in outputs]
            assert names == [
                "status",
                "pending-count",
                "drift-detected",
                "findings-count",
                "migrations-applied",
                "schema-version",
                "report-dir",
            ], outputs
            values = dict(outputs)
            assert values["status"] == run.report["status"]
            assert values["report-dir"] == str(run.report_dir.relative_to(run.project.parent))
    for label, parse in (("gitlab", "GitLab"), ("azure", "Azure")):
        run = hostile.runs[label]
        with scenarios.run(family, f"{parse}: pipeline"):
            assert run.returncode == 1, run.stdout[-3000:]
            log = run.stdout + run.stderr
            assert not CONTROLS.search(log), "a control character in the log"
            assert not AZURE.search(log), [line for line in log.splitlines() if AZURE.search(line)]
            assert "::add-mask::" not in log  # only GitHub reads it
    for label in ("cli text", "cli json"):
        run = hostile.runs[label]
        with scenarios.run(family, f"dbci itself: check, {label[4:]}"):
            assert run.returncode == 1, run.stderr[-2000:]
            for stream in (run.stdout, run.stderr):
                assert not CONTROLS.search(stream), "a control character in the output"
                assert github_commands(stream) == [], github_commands(stream)
                assert not AZURE.search(stream)
            if label == "cli json":
                assert json.loads(run.stdout)["changes"] == run.report["changes"]


# --- The dry-run and drift scripts -----------------------------------------------------------


def _script(path: Path) -> str:
    """A script as written, carriage returns kept (read_text would make them newlines)."""
    return path.read_bytes().decode("utf-8")


def _run_script(url: str, script: str) -> None:
    with psycopg.connect(postgres.libpq_url(url), autocommit=True) as conn:
        psycopg.ClientCursor(conn).execute(script)


def _tables(url: str) -> set[str]:
    with psycopg.connect(postgres.libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return {row[0] for row in rows}


def test_dry_run_and_drift_scripts(hostile: Hostile, scenarios) -> None:
    family = "injection: dry-run and drift scripts"
    directory = hostile.runs["pipeline"].report_dir
    with scenarios.run(family, "dryrun.sql run on a copy of the target"):
        script = _script(directory / "dryrun.sql")
        _run_script(hostile.dryrun_copy, script)
        tables = _tables(hostile.dryrun_copy)
        assert VICTIM in tables, "a line break in a file name ended a comment: DROP TABLE ran"
        assert {T_VSO, T_CR} <= tables and T_IMG not in tables
    with scenarios.run(family, "drift-revert.sql run on a copy of the target"):
        script = _script(directory / "drift-revert.sql")
        _run_script(hostile.revert_copy, script)
        tables = _tables(hostile.revert_copy)
        assert D_TABLE not in tables and {VICTIM, T_IMG, T_DETAILS, T_MARKDOWN} <= tables
