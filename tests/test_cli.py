"""The command line: exit codes, the JSON document and its schema, `rules`, `explain`, colour, directories."""

from __future__ import annotations

import copy
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from pgverify.cli import app
from pgverify.rules import rule

from .expectations import FLAWED_EXAMPLE

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "proofs" / "good" / "seed_decomposition.pgv"
SCHEMA_PATH = ROOT / "docs" / "report.schema.json"
ANSI = re.compile(r"\x1b\[")

REFUTED = "param x\nclaim x + x = 3 x   by algebra\n"
VALID_WITHOUT_BY = "param x\nclaim x + x = 2 x\n"
VALID_WITH_BY = "param x\nclaim x + x = 2 x   by algebra\n"
GOAL_NOT_REACHED = """\
param x
derivation "the chain stops short of the goal"
goal x + x = 3 x
    x + x
  = 2 x     by algebra
"""
PARSE_ERROR = "param x\nclaim x + x = (2 x\n"

runner = CliRunner()


def _file(tmp_path: Path, text: str, name: str = "input.pgv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _check(*args: str | Path):
    return runner.invoke(app, ["check", *map(str, args)])


def _json(*args: str | Path) -> tuple[int, dict]:
    result = _check("--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture(scope="module")
def schema() -> dict:
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    return document


# --------------------------------------------------------------------------- exit codes


def test_exit_0_when_every_step_is_valid() -> None:
    result = _check(GOOD)
    assert result.exit_code == 0, result.output
    code, record = _json(GOOD)
    assert code == 0
    summary = record["summary"]
    assert summary["steps"] > 0
    assert summary["refuted"] == summary["unknown"] == summary["errors"] == summary["goals_not_reached"] == 0


def test_exit_1_for_a_refuted_step(tmp_path: Path) -> None:
    code, record = _json(_file(tmp_path, REFUTED))
    assert code == 1
    assert record["summary"]["refuted"] == 1


def test_exit_1_for_a_goal_not_reached(tmp_path: Path) -> None:
    code, record = _json(_file(tmp_path, GOAL_NOT_REACHED))
    assert code == 1
    (derivation,) = record["files"][0]["derivations"]
    assert [s["verdict"] for s in derivation["steps"]] in (["proved"], ["checked"])
    assert derivation["goal"] == "not-reached"
    assert derivation["goal_message"]


def test_exit_2_for_a_parse_error(tmp_path: Path) -> None:
    result = _check(_file(tmp_path, PARSE_ERROR))
    assert result.exit_code == 2, result.output
    assert "error:" in result.stdout


def test_exit_2_for_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file.pgv"
    result = _check(missing)
    assert result.exit_code == 2
    assert str(missing) in result.stderr
    assert "Traceback" not in result.output


def test_exit_2_for_an_unknown_format() -> None:
    result = runner.invoke(app, ["check", "--format", "xml", str(GOOD)])
    assert result.exit_code == 2
    assert "xml" in result.output
    assert "Traceback" not in result.output


def test_strict_makes_a_step_without_justification_a_fault(tmp_path: Path) -> None:
    bare = _file(tmp_path, VALID_WITHOUT_BY, "bare.pgv")
    cited = _file(tmp_path, VALID_WITH_BY, "cited.pgv")
    assert _check(bare).exit_code == 0
    assert _check("--strict", bare).exit_code == 1
    assert _check("--strict", cited).exit_code == 0


# --------------------------------------------------------------------------- JSON


def _json_inputs(tmp_path: Path) -> dict[str, list[str]]:
    return {
        "good": [str(GOOD)],
        "examples": [str(FLAWED_EXAMPLE)],
        "parse-error": [str(_file(tmp_path, PARSE_ERROR, "parse-error.pgv"))],
        "goal": [str(_file(tmp_path, GOAL_NOT_REACHED, "goal.pgv"))],
        "missing": [str(tmp_path / "missing.pgv")],
        "not-utf8": [str(_file_bytes(tmp_path, b"\xff\xfe\x00claim", "bytes.pgv"))],
    }


def _file_bytes(tmp_path: Path, data: bytes, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", ["good", "examples", "parse-error", "goal", "missing", "not-utf8"])
def test_json_output_matches_the_schema(case: str, tmp_path: Path, schema: dict) -> None:
    code, record = _json("--seed", "3", *_json_inputs(tmp_path)[case])
    jsonschema.validate(record, schema, cls=jsonschema.Draft202012Validator)
    assert record["exit_code"] == code
    assert record["seed"] == 3
    summary = record["summary"]
    steps = [s for f in record["files"] for d in f["derivations"] for s in d["steps"]]
    assert summary["steps"] == len(steps)
    for verdict in ("proved", "checked", "refuted", "unknown"):
        assert summary[verdict] == sum(1 for s in steps if s["verdict"] == verdict)


def test_the_schema_rejects_what_the_report_never_emits(tmp_path: Path, schema: dict) -> None:
    _, record = _json(_file(tmp_path, REFUTED))
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(record)
    step = ["files", 0, "derivations", 0, "steps", 0]

    def mutated(path: list, key: str, value: object = None, delete: bool = False) -> dict:
        doc = copy.deepcopy(record)
        node = doc
        for part in path:
            node = node[part]
        if delete:
            del node[key]
        else:
            node[key] = value
        return doc

    assert not validator.is_valid(mutated(step, "verdict", "maybe"))
    assert not validator.is_valid(mutated(step, "justification", "fine"))
    assert not validator.is_valid(mutated(step, "counterexample", delete=True))
    assert not validator.is_valid(mutated(step, "extra", 1))
    assert not validator.is_valid(mutated([], "schema", 2))
    assert not validator.is_valid(mutated([], "summary", delete=True))
    assert not validator.is_valid(mutated(["files", 0, "derivations", 0], "goal", "done"))
    assert not validator.is_valid(mutated(["summary"], "refuted", -1))


def test_a_refuted_step_carries_a_counterexample(tmp_path: Path) -> None:
    code, record = _json(_file(tmp_path, REFUTED))
    assert code == 1
    (step,) = record["files"][0]["derivations"][0]["steps"]
    assert step["verdict"] == "refuted"
    cex = step["counterexample"]
    assert isinstance(cex["lhs"], (int, float)) and isinstance(cex["rhs"], (int, float))
    assert abs(cex["lhs"] - cex["rhs"]) > 1e-9 * max(1.0, abs(cex["lhs"]), abs(cex["rhs"]))
    # the numbers are the two sides of this step in the model: x + x against 3 x (x is a parameter)
    x = cex["x"]
    assert cex["lhs"] == pytest.approx(2 * x, rel=1e-4, abs=1e-4)
    assert cex["rhs"] == pytest.approx(3 * x, rel=1e-4, abs=1e-4)


# --------------------------------------------------------------------------- rules and explain


def test_rules_lists_the_catalogue() -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    names = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert {"log-product", "log-derivative", "theta-independence"} <= names


def test_explain_resolves_an_alias() -> None:
    result = runner.invoke(app, ["explain", "likelihood-ratio-trick"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert flat.startswith("log-derivative")
    assert " ".join(rule("log-derivative").statement.split()) in flat


def test_explain_suggests_the_nearest_rule_for_a_typo() -> None:
    result = runner.invoke(app, ["explain", "log-prodcut"])
    assert result.exit_code == 2
    assert "log-product" in result.stderr
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- colour


def _run_module(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "pgverify", *args], cwd=cwd, env=env, timeout=300, check=False,
                          capture_output=True, text=True, **kwargs)


def _run_on_terminal(args: list[str], cwd: Path, **extra: str) -> tuple[int, str]:
    """Run ``python -m pgverify`` with its stdout on a pseudo-terminal (``extra``: more environment)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="40", **extra)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "pgverify", *args], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_piped_output_has_no_colour(tmp_path: Path) -> None:
    path = _file(tmp_path, REFUTED)
    done = _run_module(["check", str(path)], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "refuted" in done.stdout
    assert not ANSI.search(done.stdout)


def test_no_color_on_a_terminal(tmp_path: Path) -> None:
    path = _file(tmp_path, REFUTED)
    code, output = _run_on_terminal(["check", "--no-color", str(path)], tmp_path)
    assert code == 1, output
    assert "refuted" in output
    assert not ANSI.search(output)


def test_colour_on_a_terminal_without_no_color(tmp_path: Path) -> None:
    # the counterpart of the test above: proves that the terminal run can show colour at all
    path = _file(tmp_path, REFUTED)
    code, output = _run_on_terminal(["check", str(path)], tmp_path)
    assert code == 1, output
    assert ANSI.search(output)


# --------------------------------------------------------------------------- paths


def test_a_directory_is_searched_recursively(tmp_path: Path) -> None:
    top = _file(tmp_path, VALID_WITH_BY, "top.pgv")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    deep = _file(tmp_path / "sub" / "deeper", REFUTED, "deep.pgv")
    _file(tmp_path / "sub", "this is not a derivation (", "notes.txt")
    code, record = _json(tmp_path)
    assert {Path(f["path"]).resolve() for f in record["files"]} == {top.resolve(), deep.resolve()}
    assert code == 1  # the refuted step in the nested file counts


def test_python_m_pgverify_from_another_directory(tmp_path: Path) -> None:
    # run from a folder that holds no part of the project: the installed package must carry its grammar
    path = _file(tmp_path, VALID_WITH_BY, "here.pgv")
    done = _run_module(["check", "--format", "json", "here.pgv"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(done.stdout)
    assert record["files"][0]["path"] == "here.pgv"
    assert record["summary"]["steps"] == 1 and record["summary"]["errors"] == 0
    assert path.exists()
    broken = _run_module(["check", str(_file(tmp_path, PARSE_ERROR, "broken.pgv"))], tmp_path)
    assert broken.returncode == 2
    assert "Traceback" not in broken.stdout + broken.stderr
