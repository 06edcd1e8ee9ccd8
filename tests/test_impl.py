"""`pgverify impl`: the file is only parsed, the subset's limits are clear messages, output formats and exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgverify.cli import app
from pgverify.impl import check_source
from pgverify.impl.catalogue import IMPL_MISTAKES

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

BINDINGS = """\
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
"""

HOSTILE = """\
import pathlib
pathlib.Path("SENTINEL").write_text("the top level ran")
raise SystemExit("the top level ran")

import numpy as np

""" + BINDINGS + """\
def loss(log_probs, rewards, gamma):
    T = rewards.shape[1]
    returns = (gamma ** np.arange(T) * rewards).sum(axis=1)
    return -(log_probs.sum(axis=1) * returns).mean()
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pgverify", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_a_file_whose_top_level_writes_and_raises_is_never_run(tmp_path: Path) -> None:
    target = tmp_path / "hostile.py"
    target.write_text(HOSTILE, encoding="utf-8")
    proc = _run(["impl", "hostile.py::loss", "--format", "json"], tmp_path)
    assert not (tmp_path / "SENTINEL").exists()
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)["implementations"][0]
    assert record["verdict"] == "unbiased"


def test_a_body_that_would_write_a_file_is_outside_the_subset(tmp_path: Path) -> None:
    source = "import numpy as np\n" + BINDINGS + (
        "def loss(log_probs, rewards, gamma):\n"
        "    open('SENTINEL', 'w').write('ran')\n"
        "    return -(log_probs * rewards).sum()\n")
    (tmp_path / "body.py").write_text(source, encoding="utf-8")
    proc = _run(["impl", "body.py"], tmp_path)
    assert proc.returncode == 2
    assert not (tmp_path / "SENTINEL").exists()
    assert "body.py:6:5: 'open' is not defined here" in proc.stderr


@pytest.mark.parametrize(("body", "message"), [
    ("    while True:\n        pass\n    return 0.0\n", ":6:5: a 'While' statement is outside the supported subset"),
    ("    return eval('1')\n", ":6:12: 'eval' is not defined here"),
    ("    return (lambda x: x)(rewards).sum()\n", ":6:13: a 'Lambda' expression is outside the supported subset"),
    ("    return np.linalg.det(rewards)\n", ":6:12: 'numpy.linalg.det' is outside the supported subset"),
    ("    return rewards\n", "returns an array of shape"),
    ("    return log_probs[:, 99].sum()\n", ":6:12: index 99 is out of range"),
])
def test_constructs_outside_the_subset_are_errors_at_their_line_and_column(body: str, message: str) -> None:
    source = "import numpy as np\n" + BINDINGS + "def loss(log_probs, rewards, gamma):\n" + body
    [r] = check_source(source, "f.py")
    assert r.verdict == "error"
    assert message in f"f.py:{r.line}:{r.col}: {r.message}"


@pytest.mark.parametrize(("binding", "message"), [
    ("# pgverify: rewards[n, t] = r(s_t)", "does not know the meaning"),
    ("# pgverify: rewards[n, x] = r(s_t, a_t)", "unknown axis 'x'"),
    ("# pgverify: rewards = r(s_t, a_t)", "give it a t axis"),
])
def test_unreadable_bindings_are_errors(binding: str, message: str) -> None:
    source = ("# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)\n" + binding + "\n"
              "def loss(log_probs, rewards):\n    return -(log_probs * rewards).sum()\n")
    [r] = check_source(source, "f.py")
    assert r.verdict == "error" and message in r.message
    assert r.line == 2


def test_bind_option_supplies_bindings() -> None:
    source = "def loss(lp, r):\n    return -(lp.sum(axis=1) * r.sum(axis=1)).mean()\n"
    [r] = check_source(source, "f.py", ["loss"], ["lp[n, t] = log pi_theta(a_t | s_t)", "r[n, t] = r(s_t, a_t)"])
    assert r.verdict == "unbiased", r.message
    assert "undiscounted" in r.message


def test_a_flawed_function_reports_the_line_the_gradients_and_the_hint() -> None:
    result = runner.invoke(app, ["impl", str(ROOT / "proofs/impl/flawed_numpy.py::reward_to_go_reversed")])
    assert result.exit_code == 1
    out = result.output
    assert "biased" in out and "[reward-to-go-reversed]  (line 35)" in out
    assert "hint: " in out and "-∇_θ J = (" in out and "E[∇_θ L] = (" in out and "model: states=" in out


def test_json_follows_schema_1() -> None:
    result = runner.invoke(app, ["impl", str(ROOT / "proofs/impl/flawed_numpy.py::sign_flipped,mean_over_time"),
                                 "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["schema"] == 1
    keys = ["path", "function", "line", "verdict", "scale", "mistake", "counterexample", "message"]
    assert [list(r) for r in doc["implementations"]] == [keys, keys]
    flipped, scaled = doc["implementations"]
    assert flipped["verdict"] == "ascent" and flipped["scale"] == "-1"
    assert set(flipped["mistake"]) == {"name", "line", "hint"} and flipped["mistake"]["name"] == "sign-flipped"
    assert set(flipped["counterexample"]) >= {"model", "expected", "got"}
    assert scaled["verdict"] == "scaled" and scaled["scale"] == "1/T" and scaled["counterexample"] is None


def test_output_is_deterministic() -> None:
    args = ["impl", str(ROOT / "proofs/impl/flawed_numpy.py::probabilities_for_log_probs"), "--format", "json"]
    assert runner.invoke(app, args).output == runner.invoke(app, args).output


def test_exit_statuses() -> None:
    assert runner.invoke(app, ["impl", str(ROOT / "proofs/impl/good_numpy.py::reinforce_loss")]).exit_code == 0
    assert runner.invoke(app, ["impl", str(ROOT / "proofs/impl/good_numpy.py::missing")]).exit_code == 2
    assert runner.invoke(app, ["impl", str(ROOT / "nowhere.py")]).exit_code == 2


def test_syntax_error_is_an_error() -> None:
    [r] = check_source("def f(:\n", "bad.py")
    assert r.verdict == "error" and r.line == 1


def test_the_catalogue_names_are_kebab_case_and_unique() -> None:
    names = [m.name for m in IMPL_MISTAKES]
    assert len(names) == len(set(names))
    assert all(n == n.lower() and " " not in n for n in names)


def test_the_readme_example_is_a_real_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Checking an implementation", 1)[1].split("\n## ", 1)[0]
    example = section.split("```text\n", 1)[1].split("```", 1)[0]
    result = runner.invoke(app, ["impl", "proofs/impl/flawed_numpy.py::reward_to_go_reversed"],
                           env={"NO_COLOR": "1"})
    assert result.output == example


def test_explain_knows_every_implementation_mistake() -> None:
    for mistake in IMPL_MISTAKES:
        result = runner.invoke(app, ["explain", mistake.name])
        assert result.exit_code == 0, mistake.name
        assert mistake.hint.split()[0] in result.output and mistake.title.split()[0] in result.output


def test_a_shared_name_shows_the_derivation_entry_and_the_code_entry() -> None:
    result = runner.invoke(app, ["explain", "reward-to-go-reversed"])
    assert result.exit_code == 0
    assert "in an implementation (pgverify impl):" in result.output and "rtg.append(running)" in result.output
