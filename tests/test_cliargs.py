"""A plain `pgverify check` line read without typer (pgverify.cliargs) means what typer makes of it.

The option table is held to the options typer builds from `cli.check`'s signature, every line the fast
reader accepts is compared with what typer passes to the command, and the lines it leaves to typer are
left to typer (their messages and exit statuses are typer's, tests/test_cli*.py).
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from pgverify import cli, cliargs

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "proofs" / "seed" / "seed_policy_gradient.pgv"
_KINDS = {int: "int", float: "float", str: "str", Path: "path"}


def _check_command() -> Any:
    return typer.main.get_command(cli.app).commands["check"]


def test_the_table_holds_every_option_of_check_as_typer_builds_it() -> None:
    command = _check_command()   # builds the app first: the annotations name typer
    hints = typing.get_type_hints(cli.check, include_extras=True)
    seen: set[str] = set()
    for param in command.params:
        if param.param_type_name == "argument":
            assert param.name == "paths" and cliargs.DEFAULTS["paths"] is None
            continue
        assert cliargs.DEFAULTS[param.name] == param.default, param.name
        if param.is_flag:
            for opt in param.opts:
                assert cliargs.FLAGS[opt] == (param.name, True), opt
            for opt in param.secondary_opts:
                assert cliargs.FLAGS[opt] == (param.name, False), opt
        else:
            inner = typing.get_args(hints[param.name])[0]           # Annotated[Optional[T], …] -> Optional[T]
            inner = next(a for a in typing.get_args(inner) or (inner,) if a is not type(None))
            many = typing.get_origin(inner) is list
            base = typing.get_args(inner)[0] if many else inner
            kind = "jobs" if param.name == "jobs" else _KINDS[base] + ("*" if many else "")
            assert param.multiple == many, param.name
            for opt in param.opts:
                assert cliargs.VALUED[opt] == (param.name, kind), opt
        seen.update(param.opts + param.secondary_opts)
    assert seen == set(cliargs.FLAGS) | set(cliargs.VALUED)
    jobs = typing.get_args(hints["jobs"])[1]
    assert (jobs.min, jobs.max) == (1, cliargs.MAX_JOBS)


def _typer_reads(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The arguments typer passes to the body of `check` for this line (the body is not run)."""
    got: dict[str, Any] = {}
    signature = inspect.signature(cli.run_check)

    def recording(*positional: Any, **named: Any) -> int:
        got.update(signature.bind(*positional, **named).arguments)
        return 0

    monkeypatch.setattr(cli, "run_check", recording)
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    return got


PLAIN = [
    ["check"],
    ["check", "notes.md"],
    ["check", "a.pgv", "-", "b.md"],
    ["check", "--no-cache", "proofs/seed/seed_policy_gradient.pgv"],
    ["check", "-f", "json", "-o", "out.json", "-q", "a.pgv"],
    ["check", "--format=sarif", "--output", "json:x.json", "--output=junit:y.xml", "a.pgv"],
    ["check", "a.pgv", "--select", "refuted,unknown", "--select", "goal", "--ignore=uncited", "-v"],
    ["check", "--stdin-filename", "x.md", "--reader", "markdown", "-"],
    ["check", "--seed", "7", "--time-limit", "2.5", "--memory-limit", "900", "--jobs", "2", "a.pgv"],
    ["check", "--time-limit=30", "-j", "1024", "--seed=0", "a.pgv"],
    ["check", "--strict", "--marked-math", "--no-color", "--fail-on", "refuted", "a.pgv"],
    ["check", "--no-strict", "--all-math", "--macros", "m.tex", "--macros=n.tex", "a.pgv"],
    ["check", "--config", "pgverify.toml", "--cache-dir", "cache", "--watch", "notes"],
    ["check", "weird name with spaces.pgv", "ünïcode.md"],
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_a_plain_line_means_what_typer_makes_of_it(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = cliargs.check_arguments(args, environ={})
    assert fast is not None, "a plain line should not need typer"
    assert fast == _typer_reads(args, monkeypatch)


LEFT_TO_TYPER = [
    [], ["--help"], ["rules"], ["explain", "definition"], ["grade", "a"], ["--version"], ["Check", "a"],
    ["check", "--help"], ["check", "-h"], ["check", "--bogus"], ["check", "--", "-a.pgv"],
    ["check", "-qv", "a"], ["check", "-fjson", "a"], ["check", "--quiet=yes", "a"],
    ["check", "--format"], ["check", "--format", "--quiet", "a"], ["check", "--format="],
    ["check", "--format", "json", "--format", "text", "a"], ["check", "--strict", "--no-strict", "a"],
    ["check", "--seed", "-1"], ["check", "--seed=-1"], ["check", "--seed", "1e3"], ["check", "--seed", "+3"],
    ["check", "--seed", "1_000"], ["check", "--seed", "9" * 16], ["check", "--time-limit", "inf"],
    ["check", "--time-limit", ".5"], ["check", "--time-limit", "5."], ["check", "--jobs", "0"],
    ["check", "--jobs", "1025"], ["check", "--memory-limit", "lots"], ["check", "--config", ""],
    ["check", "--verb", "a"], ["check", "--no-cach", "a"],
]


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=lambda a: " ".join(a) or "(nothing)")
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert cliargs.check_arguments(args, environ={}) is None


def test_shell_completion_is_left_to_typer() -> None:
    assert cliargs.check_arguments(["check", "a"], environ={"_PGVERIFY_COMPLETE": "bash_complete"}) is None
    assert cliargs.check_arguments(["check", "a"], environ={"HOME": "/x"}) is not None


def _pgverify(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "pgverify", *args], cwd=ROOT,
                          env={**environ, **env}, capture_output=True, text=True, timeout=300, check=False)


def _loaded(run: subprocess.CompletedProcess) -> set[str]:
    return {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_plain_check_gives_typers_report_without_loading_typer(fmt: str) -> None:
    args = ["check", "--no-cache", "--format", fmt, str(SEED.relative_to(ROOT))]
    fast = _pgverify(args)
    # any variable named like a completion request other than pgverify's sends the line through typer,
    # which ignores it: the same command, read the other way
    slow = _pgverify(args, _SOMETHING_COMPLETE="1")
    assert "typer" not in _loaded(fast) and "pydantic" not in _loaded(fast)
    assert "typer" in _loaded(slow)
    assert "sympy" in _loaded(fast)   # the seed's steps need proofs
    assert fast.returncode == slow.returncode == 1
    assert fast.stdout == slow.stdout and "likelihood-ratio-without-probability" in fast.stdout
    outside = [line for line in fast.stderr.splitlines() if not line.startswith("import time:")]
    assert outside == []


def test_a_usage_error_reads_the_same_either_way() -> None:
    args = ["check", "--format", "nope", str(SEED.relative_to(ROOT))]
    fast, slow = _pgverify(args), _pgverify(args, _SOMETHING_COMPLETE="1")
    assert fast.returncode == slow.returncode == 2
    messages = [[line for line in run.stderr.splitlines() if not line.startswith("import time:")]
                for run in (fast, slow)]
    assert messages[0] == messages[1] and "--format must be one of" in messages[0][0]


def test_help_and_an_unknown_option_still_go_through_typer() -> None:
    shown = _pgverify(["check", "--help"])
    assert shown.returncode == 0 and "--no-cache" in shown.stdout and "typer" in _loaded(shown)
    bad = _pgverify(["check", "--bogus", "x.pgv"])
    assert bad.returncode == 2 and "--bogus" in bad.stderr
