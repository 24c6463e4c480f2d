"""dbci's GitHub Action (and image): the action's inputs → dbci's stages.

The root `entrypoint.py`, which the Dockerfile copies to /app and runs, only calls `run`.

GitHub hands a Docker container action its inputs as `INPUT_<NAME>` variables, the name
upper-cased with its hyphens kept (`INPUT_FAIL-ON-DRIFT`). This module masks every secret
(`::add-mask::`, first of all: the password and build-password, the token, the passwords of
the URL inputs and those in `args`, `--password X` or a URL's), checks them (a bad one is
one `::error::` line naming it, exit 2), passes the database inputs to dbci through its
`DBCI_*` variables (never on a command line), runs the requested stages through the same
function as the `dbci` command line, each inside a `::group::` and between
`::stop-commands::` and its token (so that no name or message a stage prints runs as a
workflow command), renders the report, and then writes the outputs (`$GITHUB_OUTPUT`),
the step summary (`$GITHUB_STEP_SUMMARY`) and annotations for the most severe findings.
Under GitLab CI (`GITLAB_CI`) and Azure Pipelines (`TF_BUILD`) the same stages run, their
output made inert for those logs too, and the report comment goes through their APIs; the
GitHub-only commands and files are skipped. Those runners read no `::add-mask::`, so on
every platform each line the script prints is without the secrets as well: a stage's
`::group::` line shows `--password ***` and URLs without their passwords, and every other
line is scrubbed (`dbci.console.scrub`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

COMMANDS = ("pipeline", "build", "check", "deploy", "report", "data", "version")
SEVERITIES = ("error", "warning", "info", "never")
ANNOTATIONS = 10  # GitHub shows ten annotations of each kind per step
CANCELLED = (130, 143)  # dbci's exit codes for SIGINT and SIGTERM


class InputProblem(Exception):
    """A bad action input: one `::error::` line, exit 2."""


def _input(environ: dict[str, str], name: str, default: str = "") -> str:
    return environ.get(f"INPUT_{name.upper()}", default).strip()


def _bool(environ: dict[str, str], name: str, default: bool | None) -> bool | None:
    raw = _input(environ, name).lower()
    if raw == "":
        return default
    if raw in ("true", "yes", "1", "on"):
        return True
    if raw in ("false", "no", "0", "off"):
        return False
    raise InputProblem(f"input {name}: {raw!r} is not true or false")


@dataclass(kw_only=True)
class ActionInputs:
    """The action's inputs, checked."""

    command: str = "pipeline"
    working_directory: str = "."
    config: str = ""
    environment: str = ""
    url: str = field(default="", repr=False)
    user: str = ""
    password: str = field(default="", repr=False)
    build_url: str = field(default="", repr=False)
    build_user: str = ""
    build_password: str = field(default="", repr=False)
    build_schemas: str = ""
    fail_on_drift: bool | None = None
    fail_on_severity: str = ""
    comment: bool = True
    github_token: str = field(default="", repr=False)
    report_dir: str = "dbci-report"
    args: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, environ: dict[str, str]) -> ActionInputs:
        command = _input(environ, "command", "pipeline") or "pipeline"
        if command not in COMMANDS:
            raise InputProblem(f"input command: {command!r} is not one of {', '.join(COMMANDS)}")
        severity = _input(environ, "fail-on-severity").lower()
        if severity and severity not in SEVERITIES:
            raise InputProblem(
                f"input fail-on-severity: {severity!r} is not one of {', '.join(SEVERITIES)}"
            )
        try:
            extra = shlex.split(_input(environ, "args"))
        except ValueError as exc:
            raise InputProblem(f"input args: {exc}") from None
        inputs = cls(
            command=command,
            working_directory=_input(environ, "working-directory", ".") or ".",
            config=_input(environ, "config"),
            environment=_input(environ, "environment"),
            url=_input(environ, "url"),
            user=_input(environ, "user"),
            password=environ.get("INPUT_PASSWORD", ""),
            build_url=_input(environ, "build-url"),
            build_user=_input(environ, "build-user"),
            build_password=environ.get("INPUT_BUILD-PASSWORD", ""),  # as given, like password
            build_schemas=_input(environ, "build-schemas"),
            fail_on_drift=_bool(environ, "fail-on-drift", None),
            fail_on_severity=severity,
            comment=bool(_bool(environ, "comment", True)),
            github_token=environ.get("INPUT_GITHUB-TOKEN", "").strip(),
            report_dir=_input(environ, "report-dir", "dbci-report") or "dbci-report",
            args=extra,
        )
        if command in ("check", "deploy") and not (inputs.environment or inputs.url):
            raise InputProblem(f"input environment (or url) is required for command {command}")
        if not Path(inputs.working_directory).is_dir():
            raise InputProblem(
                f"input working-directory: {inputs.working_directory!r} is not a directory"
            )
        from dbci.errors import InputError
        from dbci.settings.urls import parse_database_url

        for name, url in (("url", inputs.url), ("build-url", inputs.build_url)):
            try:  # named as the input it is, not as the variable it is passed on in
                if url:
                    parse_database_url(
                        url, base_dir=Path(inputs.working_directory), where=f"input {name}"
                    )
            except InputError as exc:
                raise InputProblem(str(exc)) from None
        return inputs

    def secrets(self) -> list[str]:
        """Every secret value, and the password inside a URL (as written and decoded), the
        ones in `args` included."""
        from dbci.settings.redact import url_passwords

        found = [self.password, self.build_password, self.github_token]
        for url in (self.url, self.build_url):
            found += url_passwords(url)  # as written and decoded: a step may print either
        found += _args_secrets(self.args)
        return _with_forms(found)


def _raw_secrets(environ: dict[str, str]) -> list[str]:
    """The secret inputs as given, before any is checked: masked first of all, so that no
    message (a bad input's included) can show one unmasked."""
    from dbci.settings.redact import url_passwords

    found = [
        environ.get("INPUT_PASSWORD", ""),
        environ.get("INPUT_BUILD-PASSWORD", ""),
        environ.get("INPUT_GITHUB-TOKEN", ""),
    ]
    for name in ("INPUT_URL", "INPUT_BUILD-URL"):
        found += url_passwords(environ.get(name, ""))
    raw_args = _input(environ, "args")
    try:
        found += _args_secrets(shlex.split(raw_args))
    except ValueError:  # an args input shlex cannot read: its error comes later; mask anyway
        found += _args_secrets(raw_args.split())
    found += [s.strip() for s in found]
    return _with_forms(found)


def _with_forms(secrets: list[str]) -> list[str]:
    """Each secret and the forms a URL gives it (percent-encoded), once each: a step may
    print any of them."""
    from dbci.settings.redact import forms

    return list(dict.fromkeys(form for s in secrets if s for form in [s, *forms(s)]))


# The option whose value is a password: `--password`, and what argparse takes for it (any
# unambiguous beginning of it, `--pass`).
_PASSWORD_OPTION = "--password"


def _password_option(token: str) -> bool:
    return len(token) >= 3 and token.startswith("--") and _PASSWORD_OPTION.startswith(token)


def _args_secrets(args: list[str]) -> list[str]:
    """The secrets in the `args` input: a `--password`'s value (`--password X`,
    `--password=X`) and the password of every URL in it (`--url postgresql://u:X@h/db`,
    `--url=…`, a diff source `url:…`), as written and decoded."""
    from dbci.settings.redact import url_passwords

    found: list[str] = []
    for n, token in enumerate(args):
        name, equals, value = token.partition("=")
        if _password_option(name):
            if equals:
                found.append(value)
            elif n + 1 < len(args):
                found.append(args[n + 1])
        text = value if token.startswith("-") and equals else token
        found += url_passwords(text.removeprefix("url:"))
    return found


def _shown_args(argv: list[str]) -> list[str]:
    """A stage's arguments as the log shows them: a `--password`'s value and the password
    of a URL written `***` at their places (the whole-token scrub follows as well)."""
    from dbci.settings.redact import hide_url_password

    shown: list[str] = []
    for n, token in enumerate(argv):
        name, equals, _ = token.partition("=")
        if n > 0 and _password_option(argv[n - 1]) and "=" not in argv[n - 1]:
            shown.append("***")
        elif _password_option(name) and equals:
            shown.append(f"{name}=***")
        else:
            shown.append(hide_url_password(token))
    return shown


def _scrub(text: str) -> str:
    """`text` without the run's secrets, where they stand as whole tokens
    (`dbci.console.scrub`): before a command's data is escaped, since the runner shows it
    unescaped."""
    from dbci.console import scrub

    return scrub(text)


def _say(line: str) -> None:
    """A line of the action's log, scrubbed once more as it is printed (only `::add-mask::`
    lines and the commands' fixed lines are printed otherwise)."""
    print(_scrub(line), flush=True)


def _global_args(inputs: ActionInputs) -> list[str]:
    args = ["--project", inputs.working_directory, "--report-dir", inputs.report_dir]
    if inputs.config:
        args += ["--config", inputs.config]
    if inputs.environment:
        args += ["-e", inputs.environment]
    return args


def _stage_args(inputs: ActionInputs, stage: str) -> list[str]:
    args = [stage]
    if stage in ("check", "pipeline", "deploy") and inputs.fail_on_drift is not None:
        args.append("--fail-on-drift" if inputs.fail_on_drift else "--no-fail-on-drift")
    if stage in ("check", "pipeline") and inputs.fail_on_severity:
        args += ["--fail-on", inputs.fail_on_severity]
    if stage == "report" and inputs.comment:
        args.append("--comment")
    if stage == inputs.command:
        args += inputs.args
    return args


def _stages(command: str) -> list[str]:
    return {
        "pipeline": ["pipeline", "report"],
        "build": ["build", "report"],
        "check": ["check", "report"],
        "deploy": ["deploy", "report"],
        "data": ["data", "report"],  # args: refresh --from SOURCE --to TARGET
        "report": ["report"],
    }[command]


class _Lines:
    """A text stream that hands what is written to `line`, a whole line at a time."""

    def __init__(self, through: TextIO | _Lines) -> None:
        self.through = through
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self.line(line)
        return len(text)

    def line(self, line: str) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        self.through.flush()

    def isatty(self) -> bool:
        return False

    def close(self) -> None:
        """Pass on what is left of an unfinished line."""
        if self._partial:
            self.write("\n")
        self.flush()


class _ErrorLines(_Lines):
    """Standard error during a stage: dbci's `dbci: error: …` lines are kept back (they
    become `::error::` commands), every other line passes straight through."""

    PREFIX = "dbci: error: "

    def __init__(self, through: TextIO | _Lines) -> None:
        super().__init__(through)
        self.messages: list[str] = []

    def line(self, line: str) -> None:
        if line.startswith(self.PREFIX):
            self.messages.append(line[len(self.PREFIX) :])
        else:
            self.through.write(line + "\n")


class _StageOutput(_Lines):
    """What a stage prints, line by line, made inert in the log (`dbci.logtext.printable`:
    control characters shown as escapes, no line a runner reads as a command) on its way to
    `through`. dbci's own lines are so already; anything else that writes (a library's
    warning, say) is made so here."""

    def line(self, line: str) -> None:
        from dbci.console import scrub
        from dbci.logtext import printable

        self.through.write(printable(scrub(line), dbci_errors=False) + "\n")


def _run_stage(argv: list[str], *, annotate: bool = False) -> int:
    """One `dbci` command, in a log group. With `annotate` (GitHub), its error line is an
    `::error::` command after the group, so that it shows on the run's page too, and the
    runner carries out no command the stage prints: they are between `::stop-commands::TOKEN`
    and `::TOKEN::`, with a token no data can know, and standard error goes the way of
    standard output, in the order it was written (the runner reads the two streams apart,
    so a line of one could otherwise land past the other's `::TOKEN::`)."""
    from dbci.cli import main
    from dbci.logtext import visible_controls

    shown = _scrub("dbci " + " ".join(_shown_args(argv)))
    _say(f"::group::{_escape(visible_controls(shown))}")
    token = secrets.token_hex(16) if annotate else ""
    if token:
        print(f"::stop-commands::{token}", flush=True)
    output = _StageOutput(sys.stdout)
    errors = _ErrorLines(output) if annotate else None
    stderr = errors if errors is not None else _StageOutput(sys.stderr)
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(stderr):
            return main(argv)
    finally:
        stderr.close()
        output.close()
        if token:
            print(f"::{token}::", flush=True)
        print("::endgroup::", flush=True)
        for message in errors.messages if errors is not None else []:
            _say(f"::error::{_escape(visible_controls(_scrub('dbci: ' + message)))}")


def _stamp(path: Path) -> tuple[int, int] | None:
    """When and how big `path` was last written; None when there is no such file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _escape(value: str, *, property_value: bool = False) -> str:
    """GitHub's escaping of workflow command data (and of property values)."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _annotations(report: dict[str, Any], prefix: str) -> list[str]:
    """`::error file=…,line=…::` lines for the most severe findings (ten), and a notice
    of how many more the report holds."""
    from dbci.logtext import visible_controls

    code = report.get("code") or {}
    findings = [f for f in code.get("findings") or [] if f.get("severity") != "info"]
    rank = {"error": 0, "warning": 1}
    findings.sort(
        key=lambda f: (rank.get(f.get("severity"), 2), f.get("file", ""), f.get("line", 0))
    )
    lines = []
    for f in findings[:ANNOTATIONS]:
        kind = "error" if f.get("severity") == "error" else "warning"
        path = visible_controls(prefix + str(f.get("file")))
        props = (
            f"file={_escape(path, property_value=True)},"
            f"line={int(f.get('line') or 1)},col={int(f.get('column') or 1)},"
            f"title={_escape(str(f.get('rule')), property_value=True)}"
        )
        message = visible_controls(_scrub(str(f.get("message"))))  # no ANSI escape in the log
        lines.append(f"::{kind} {props}::{_escape(message)}")
    more = len(findings) - ANNOTATIONS
    if more > 0:
        lines.append(f"::notice::{more} more findings are in the report ({len(findings)} in all)")
    return lines


def _output_line(name: str, value: str) -> str:
    """One output for `$GITHUB_OUTPUT`: `name=value`, or, for a value that holds a line
    break (a report directory's name may), GitHub's `name<<DELIMITER` form with a random
    delimiter, so that no value can end itself and write another output."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _outputs(report: dict[str, Any], report_dir: str) -> dict[str, str]:
    """The action's outputs, each describing the run that just happened: for a deploy, what
    its targets have pending after it (0 after a full deploy), whether its drift gate found
    drift, how many migrations it applied and the version it left (one per target, comma
    separated, when several were deployed); for a check, what the check saw."""
    changes = report.get("changes") or {}
    drift = report.get("drift") or {}
    code = report.get("code") or {}
    deploy = report.get("deploy") or {}
    targets = [t for t in deploy.get("targets") or [] if isinstance(t, dict)]
    pending = len(changes.get("pending") or [])
    drifted = bool(drift.get("detected"))
    applied = 0
    # A check leaves the target where it was: its version is the one the check found.
    version = str(changes.get("from_version") or "")
    if deploy:
        pending = sum(int(t.get("still_pending") or 0) for t in targets)
        drifted = any(t.get("drift") for t in targets)
        applied = sum(len(t.get("applied") or []) for t in targets)
        version = ",".join(str(t.get("to_version") or t.get("from_version") or "") for t in targets)
        version = "" if not version.strip(",") else version
    return {
        "status": str(report.get("status") or "failed"),
        "pending-count": str(pending),
        "drift-detected": "true" if drifted else "false",
        "findings-count": str(len(code.get("findings") or [])),
        "migrations-applied": str(applied),
        "schema-version": version,
        "report-dir": report_dir,
    }


def run(environ: dict[str, str]) -> int:
    """The action: the exit code of the first stage that failed (0 when none did)."""
    github = environ.get("GITHUB_ACTIONS", "").strip().lower() == "true"
    # Only GitHub reads `::add-mask::`: under GitLab and Azure the line would print the
    # secret in the clear (they mask their own secret variables).
    # Every line below, on every platform, goes without them (`_say`, and dbci's own
    # printing through `dbci.console`, which this process shares).
    from dbci.console import remember_all

    masked = _raw_secrets(environ)
    remember_all(masked)
    for secret in masked if github else []:
        print(f"::add-mask::{_escape(secret)}", flush=True)
    try:
        inputs = ActionInputs.read(environ)
    except InputProblem as problem:
        _say(f"::error::{_escape(_scrub(str(problem)))}")
        return 2
    remember_all(inputs.secrets())
    for secret in inputs.secrets() if github else []:
        if secret not in masked:
            print(f"::add-mask::{_escape(secret)}", flush=True)
    # Secrets go to dbci through its environment variables, never on a command line.
    for name, value in (
        ("DBCI_URL", inputs.url),
        ("DBCI_USER", inputs.user),
        ("DBCI_PASSWORD", inputs.password),
        ("DBCI_BUILD_URL", inputs.build_url),
        ("DBCI_BUILD_USER", inputs.build_user),
        ("DBCI_BUILD_PASSWORD", inputs.build_password),
        ("DBCI_BUILD_SCHEMAS", inputs.build_schemas),
        ("GITHUB_TOKEN", inputs.github_token or environ.get("GITHUB_TOKEN", "")),
    ):
        if value:
            os.environ[name] = value
    if inputs.command == "version":
        from dbci import __version__

        _say(f"dbci {__version__}")
        return 0
    project = Path(inputs.working_directory)
    report_dir = Path(inputs.report_dir)
    directory = report_dir if report_dir.is_absolute() else project / report_dir
    before = _stamp(directory / "report.json")
    code = 0
    for stage in _stages(inputs.command):
        result = _run_stage(_global_args(inputs) + _stage_args(inputs, stage), annotate=github)
        if stage == "report" and inputs.command != "report":
            continue  # rendering the report of a stage: the stage's result is the action's
        code = code or result
        if result in CANCELLED:
            # SIGINT / SIGTERM (the run's cancel): no further stage, no comment to post;
            # the outputs and the summary below still say what the stage reported.
            break
        if result and _stamp(directory / "report.json") == before:
            # The stage failed before writing a report (bad input, no database): there is
            # nothing of this run to render, and no earlier run's report may pass for it.
            break
    report: dict[str, Any] = {}
    if not code or _stamp(directory / "report.json") != before:
        try:
            report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    from dbci.report.sarif import repository_prefix

    # Annotations are GitHub's commands: elsewhere they would only print the findings'
    # text once more, unescaped for that runner (Azure reads `##vso[` anywhere in a line).
    for line in _annotations(report, repository_prefix(project.resolve())) if github else []:
        _say(line)
    if environ.get("GITHUB_OUTPUT"):
        with open(environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            for name, value in _outputs(report, str(directory)).items():
                out.write(_output_line(name, value))
    summary = directory / "summary.md"
    if environ.get("GITHUB_STEP_SUMMARY") and report and summary.is_file():
        with open(environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as out:
            out.write(summary.read_text(encoding="utf-8"))
    return code
