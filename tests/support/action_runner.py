"""A Docker container action run the way GitHub's runner runs it, and its log read the same way.

What the runner (actions/runner, `ContainerActionHandler`) does for `runs.using: docker`:
every input of action.yml becomes `INPUT_<NAME>` (upper-cased, hyphens kept), with the
action's default when the step does not set it; the job's temporary directories are mounted
at `/github/home` (also `HOME`), `/github/workflow` (the event file), `/github/file_commands`
(`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, …, one file per step) and the workspace at
`/github/workspace` (the working directory); the runner's paths in the variables are written
as the container sees them; variables are passed by name (`-e NAME`), their values never on
the command line; the container is removed after the step. Its output is read for workflow
commands (`::add-mask::`, `::error …::`, `::group::`) except between `::stop-commands::TOKEN`
and `::TOKEN::`.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from support.docker_engine import DockerEngine

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = "/github/workspace"
_COMMAND = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<data>.*)$")


@dataclass(frozen=True)
class Annotation:
    """An `::error`, `::warning` or `::notice` command the runner would show."""

    kind: str
    properties: dict[str, str]
    message: str


@dataclass
class ActionRun:
    """A finished step: exit code, log lines, the files it wrote and the commands it gave."""

    returncode: int
    lines: list[str]
    outputs: dict[str, str]
    summary: str
    annotations: list[Annotation] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)
    first_line_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    @property
    def shown(self) -> str:
        """The log as the runner shows it, less the `::add-mask::` commands it takes out
        (which hold the secrets by design); masking itself is not applied, so a secret
        printed anywhere else is still there to be found."""
        return "\n".join(line for line in self.lines if not line.startswith("::add-mask::"))


def _unescape(value: str, *, property_value: bool = False) -> str:
    """The runner's unescaping of command data (and of property values)."""
    if property_value:
        value = value.replace("%3A", ":").replace("%2C", ",")
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def read_commands(lines: list[str]) -> tuple[list[Annotation], list[str]]:
    """The annotations and masks a runner takes from these log lines."""
    annotations: list[Annotation] = []
    masks: list[str] = []
    stopped: str | None = None
    for line in lines:
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            continue
        match = _COMMAND.match(line)
        if match is None:
            continue
        name, data = match["name"], match["data"]
        if name == "stop-commands":
            stopped = data
        elif name == "add-mask":
            masks.append(_unescape(data))
        elif name in ("error", "warning", "notice"):
            properties = {}
            for item in (match["props"] or "").split(","):
                key, _, value = item.partition("=")
                if key:
                    properties[key.strip()] = _unescape(value, property_value=True)
            annotations.append(Annotation(name, properties, _unescape(data)))
    return annotations, masks


def read_outputs(path: Path) -> dict[str, str]:
    """`$GITHUB_OUTPUT` as the runner reads it: `name=value`, or `name<<DELIMITER` lines."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    n = 0
    while n < len(lines):
        line = lines[n]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, n + 1)
            outputs[name] = "\n".join(lines[n + 1 : end])
            n = end + 1
            continue
        name, _, value = line.partition("=")
        outputs[name] = value
        n += 1
    return outputs


def action_inputs(given: dict[str, str], *, token: str) -> dict[str, str]:
    """`INPUT_*` for every input of action.yml: the step's value, else the action's default
    (`${{ github.token }}` evaluated to `token`)."""
    manifest = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    declared = manifest["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"not inputs of action.yml: {sorted(unknown)}"
    environ = {}
    for name, spec in declared.items():
        default = str(spec.get("default", ""))
        default = default.replace("${{ github.token }}", token)
        value = given.get(name, default)
        environ[f"INPUT_{name.replace(' ', '_').upper()}"] = value
    return environ


@dataclass
class Runner:
    """One job's runner: its temporary directories and the workspace, on the host."""

    engine: DockerEngine
    image: str
    workspace: Path
    temp: Path
    event: dict[str, object]
    environ: dict[str, str] = field(default_factory=dict)  # the job's `env:` and GITHUB_*

    def run_step(
        self,
        inputs: dict[str, str],
        *,
        token: str,
        add_hosts: tuple[str, ...] = ("postgres:127.0.0.1",),
        user: str | None = None,
        timeout: float = 900,
    ) -> ActionRun:
        """`uses: ./` with `inputs`: the container run as the runner runs it."""
        import json

        home = self.temp / "_github_home"
        commands = self.temp / "_runner_file_commands"
        workflow = self.temp / "_github_workflow"
        for folder in (home, commands, workflow):
            folder.mkdir(parents=True, exist_ok=True)
            if user is not None:
                # GitHub's files are the runner's, and its container actions run as root;
                # another CI that runs the image as another user gives that user the files.
                folder.chmod(0o777)
        (workflow / "event.json").write_text(json.dumps(self.event), encoding="utf-8")
        step = uuid.uuid4()
        files = {
            name: f"{name.lower()}_{step}"
            for name in ("SET_OUTPUT", "STEP_SUMMARY", "SET_ENV", "ADD_PATH", "SAVE_STATE")
        }
        for name in files.values():
            (commands / name).write_text("")
            if user is not None:
                (commands / name).chmod(0o666)
        variables = {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "HOME": "/github/home",
            "GITHUB_WORKSPACE": WORKSPACE,
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_OUTPUT": f"/github/file_commands/{files['SET_OUTPUT']}",
            "GITHUB_STEP_SUMMARY": f"/github/file_commands/{files['STEP_SUMMARY']}",
            "GITHUB_ENV": f"/github/file_commands/{files['SET_ENV']}",
            "GITHUB_PATH": f"/github/file_commands/{files['ADD_PATH']}",
            "GITHUB_STATE": f"/github/file_commands/{files['SAVE_STATE']}",
            "RUNNER_OS": "Linux",
            **self.environ,
            **action_inputs(inputs, token=token),
        }
        args = [
            "run", "--name", f"dbci-step-{step.hex[:12]}", "--label", "dbci-image-test",
            "--workdir", WORKSPACE, "--rm", "--network", "host",
        ]
        for host in add_hosts:
            args += ["--add-host", host]
        if user is not None:
            args += ["--user", user]
        for name in variables:
            args += ["-e", name]  # by name: the value comes from the client's environment
        for source, target in (
            (home, "/github/home"),
            (workflow, "/github/workflow"),
            (commands, "/github/file_commands"),
            (self.workspace, WORKSPACE),
        ):
            args += ["-v", f"{source}:{target}"]
        args.append(self.image)
        lines, first, elapsed, code = run_logged(self.engine, args, variables, timeout)
        annotations, masks = read_commands(lines)
        summary_file = commands / files["STEP_SUMMARY"]
        return ActionRun(
            returncode=code,
            lines=lines,
            outputs=read_outputs(commands / files["SET_OUTPUT"]),
            summary=summary_file.read_text(encoding="utf-8"),
            annotations=annotations,
            masks=masks,
            first_line_seconds=first,
            seconds=elapsed,
        )


def run_logged(
    engine: DockerEngine, args: list[str], variables: dict[str, str], timeout: float
) -> tuple[list[str], float, float, int]:
    """`docker ARGS` with `variables` in the client's environment: (log lines, seconds to the
    first line, seconds in all, exit code). Standard error is read into the same log."""
    environ = {**engine.environ, **variables}
    started = time.monotonic()
    process = subprocess.Popen(
        [engine.client, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environ,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    lines: list[str] = []
    first: list[float] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if not first:
                first.append(time.monotonic() - started)
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    reader.join(30)
    elapsed = time.monotonic() - started
    return lines, (first[0] if first else elapsed), elapsed, code


def clean_environ() -> dict[str, str]:
    """This process's environment without dbci's, the action's or CI platforms' variables."""
    prefixes = ("DBCI_", "INPUT_", "GITHUB_", "GITLAB_", "CI_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k != "CI"}
