"""The README is true: every command in it runs as written, and its examples match real runs.

* Every line of every ```sh block is a command. The two quick-start commands are what
  `.ci/run` runs (checked here); every other command runs here, in a copy of the repository,
  with `pgverify` and `.venv/bin/python` standing for this interpreter's. A trailing
  `# exits N` says the expected exit status (0 otherwise); the benchmark scripts get their
  `--quick` flag so that they take seconds.
* The configuration example is accepted by the configuration loader, and the JSON example
  has every field of a real report and the summary of a real run of the same file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgverify import config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, re.DOTALL | re.MULTILINE)


def commands() -> list[tuple[str, int]]:
    out = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            found = EXITS.search(line)
            command = line[:found.start()] if found else line.split("  #", 1)[0]
            out.append((command.strip(), int(found.group(1)) if found else 0))
    return out


QUICK_START = commands()[:2]
OTHERS = commands()[2:]


def test_the_quick_start_is_what_ci_runs() -> None:
    (install, _), (tests, _) = QUICK_START
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install" in install and "'.[test]'" in install and "pip install" in ci and "'.[test]'" in ci
    example = install.split("&&")[-1].strip()
    assert example.split("pgverify", 1)[1] in ci, "CI checks the README's example file"
    assert tests == ".venv/bin/python -m pytest" and tests in ci


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository as a user has it (no .git, no virtualenv)."""
    target = tmp_path_factory.mktemp("readme") / "pgverify"
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pgverify-cache",
                                                                "*.egg-info", "build"))
    return target


def _as_run_here(command: str) -> str:
    python = shlex.quote(sys.executable)
    command = re.sub(r"^(\.venv/bin/)?pgverify\b", f"{python} -m pgverify", command)
    command = re.sub(r"^\.venv/bin/python\b", python, command)
    if "bench/" in command:
        command += " --quick"
    return command


@pytest.mark.parametrize("command,status", OTHERS, ids=[c for c, _ in OTHERS])
def test_every_readme_command_runs_as_written(command: str, status: int, checkout: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR",)}
    env["NO_COLOR"] = "1"
    done = subprocess.run(["bash", "-e", "-c", _as_run_here(command)], cwd=checkout, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == status, (done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr


def test_the_configuration_example_is_accepted(tmp_path: Path) -> None:
    (block,) = [b for b in blocks("toml") if "[tool.pgverify]" in b]
    (tmp_path / "pyproject.toml").write_text(block, encoding="utf-8")
    conf = config.load(tmp_path / "pyproject.toml")
    assert conf.paths and conf.format


def _real_report(path: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "pgverify", "check", "--format", "json", path], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    return json.loads(done.stdout)


def _keys(record: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in record.items():
        out.add(prefix + key)
        if isinstance(value, dict) and key not in ("assignments", "counterexample"):
            out |= _keys(value, prefix + key + ".")
    return out


def test_the_json_example_is_a_real_report() -> None:
    (block,) = [b for b in blocks("json") if '"schema": 1' in b]
    example = json.loads(block)
    real = _real_report(example["files"][0]["path"])
    assert example["summary"] == real["summary"]
    assert example["exit_code"] == real["exit_code"]
    assert set(example) == set(real)
    example_step = example["files"][0]["derivations"][0]["steps"][0]
    real_steps = [s for f in real["files"] for d in f["derivations"] for s in d["steps"]]
    real_keys = set().union(*(_keys(s) for s in real_steps))
    assert {k for k in real_keys if "." not in k} == {k for k in _keys(example_step) if "." not in k}


def test_the_python_example_runs(tmp_path: Path) -> None:
    (block,) = [b for b in blocks("python") if "import pgverify" in b]
    script = tmp_path / "example.py"
    script.write_text(block, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    first, last = done.stdout.splitlines()[0], done.stdout.splitlines()[-1]
    assert first.startswith("cell.pgv:3") and " refuted " in first
    assert last.split()[0] == "1" and int(last.split()[1]) > 0


def test_the_report_example_is_a_real_run() -> None:
    """The text report shown near the top: every line of it is in a real run, in the same order."""
    section = README[README.index("## What a report looks like"):README.index("## The language in five minutes")]
    (shown,) = re.findall(r"^```\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    real = subprocess.run([sys.executable, "-m", "pgverify", "check", "proofs/seed/seed_policy_gradient.pgv"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False).stdout
    lines, position = real.splitlines(), 0
    for line in shown.splitlines():
        if line.strip() == "…":
            continue
        assert line in lines[position:], line
        position = lines.index(line, position) + 1
