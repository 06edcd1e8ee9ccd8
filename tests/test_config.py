"""Configuration: `[tool.pgverify]` in pyproject.toml, or pgverify.toml.

Each test lays out a small project in tmp_path and runs `pgverify check` there
(typer's CliRunner with the working directory changed; one test runs the real
`python -m pgverify` in a subprocess), so the configuration is found the way a
user's shell or CI finds it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgverify.cli import app

ROOT = Path(__file__).resolve().parent.parent

GOOD = "param x\nclaim x + x = 2 x   by algebra\n"
FLAWED = "param x\nclaim x + x = 3 x   by algebra\n"
UNKNOWN_ONLY = ("use rl\n\nderivation \"Proportional\"\n"
                "    ∇_θ J(θ)\n  ∝ sum_τ Pr_θ(τ) ∇_θ log Pr_θ(τ) R(τ)\n")  # ∝ steps are not supported: unknown
WITHOUT_JUSTIFICATION = "param x\nclaim x + x = 2 x\n"
# a marked chain that needs the macro \dbl (from the macros file) to be read
MACRO_NOTES = "# Notes\n\n<!-- pgverify -->\n$$\n\\dbl{x} &= x + x \\\\\n&= 2 x\n$$\n"
MACROS = "\\newcommand{\\dbl}[1]{2 #1}\n"
# an unmarked flawed chain: checked only with all_math
UNMARKED_NOTES = "Text.\n\n$$\nx + x &= 3 x \\\\\n&= x \\cdot 3\n$$\n"

runner = CliRunner()


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def pyproject(settings: str) -> str:
    return "[project]\nname = \"course-notes\"\n\n[tool.pgverify]\n" + settings


@pytest.fixture()
def check(monkeypatch: pytest.MonkeyPatch):
    """Run `pgverify check ARGS` in a folder; returns (exit code, stdout, stderr)."""

    def run(cwd: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        result = runner.invoke(app, ["check", *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


def checked_paths(stdout: str) -> list[str]:
    return [f["path"] for f in json.loads(stdout)["files"]]


# ----------------------------------------------------------------------------- each key takes effect


def test_paths(tmp_path: Path, check) -> None:
    project(tmp_path, {"a/good.pgv": GOOD, "b/flawed.pgv": FLAWED, "c/flawed.pgv": FLAWED,
                       "pyproject.toml": pyproject('paths = ["a/", "b/flawed.pgv"]\nformat = "json"\n')})
    code, out, _ = check(tmp_path)
    assert code == 1
    assert sorted(Path(p).name for p in checked_paths(out)) == ["flawed.pgv", "good.pgv"]
    assert not any("/c/" in p or p.startswith("c/") for p in checked_paths(out))
    # paths on the command line replace the configured ones
    code, out, _ = check(tmp_path, "a")
    assert code == 0 and checked_paths(out) == ["a/good.pgv"]


def test_configured_paths_are_reported_relative_like_given_ones(tmp_path: Path, check) -> None:
    """`pgverify check` (paths from the config) reports the same file names as `pgverify check notes/`:
    annotations, SARIF uris and summary rows must stay relative to the repository, not absolute."""
    project(tmp_path, {"notes/good.pgv": GOOD, "pyproject.toml": pyproject('paths = ["notes/"]\nformat = "json"\n')})
    _, given, _ = check(tmp_path, "notes/")
    _, configured, _ = check(tmp_path)
    assert checked_paths(given) == ["notes/good.pgv"]
    assert checked_paths(configured) == checked_paths(given)


def test_paths_are_relative_to_the_config_folder(tmp_path: Path, check) -> None:
    project(tmp_path, {"notes/flawed.pgv": FLAWED, "sub/dir/keep.txt": "",
                       "pgverify.toml": 'paths = ["notes"]\nformat = "json"\n'})
    code, out, _ = check(tmp_path / "sub" / "dir")
    assert code == 1 and [Path(p).name for p in checked_paths(out)] == ["flawed.pgv"]


def test_no_paths_anywhere_is_a_usage_error(tmp_path: Path, check) -> None:
    project(tmp_path, {"pyproject.toml": pyproject("seed = 1\n")})
    code, _, err = check(tmp_path)
    assert code == 2 and "no paths" in err


def test_exclude(tmp_path: Path, check) -> None:
    project(tmp_path, {"notes/good.pgv": GOOD, "notes/drafts/wip.pgv": FLAWED,
                       "pyproject.toml": pyproject('paths = ["notes/"]\nexclude = ["notes/drafts/*"]\n'
                                                   'format = "json"\n')})
    code, out, _ = check(tmp_path)
    assert code == 0 and [Path(p).name for p in checked_paths(out)] == ["good.pgv"]
    # the directory given on the command line: still excluded
    code, out, _ = check(tmp_path, "notes")
    assert code == 0 and checked_paths(out) == ["notes/good.pgv"]
    # a file passed by name (as pre-commit does) is checked anyway, with a warning (as ruff does)
    code, out, err = check(tmp_path, "notes/good.pgv", "notes/drafts/wip.pgv")
    assert code == 1 and checked_paths(out) == ["notes/good.pgv", "notes/drafts/wip.pgv"]
    assert "notes/drafts/wip.pgv is excluded by [tool.pgverify] exclude; checking it because it was named" in err
    assert "good.pgv" not in err


def test_format(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject('format = "json"\n')})
    code, out, _ = check(tmp_path, "good.pgv")
    assert code == 0 and json.loads(out)["summary"]["steps"] == 1
    code, out, _ = check(tmp_path, "good.pgv", "--format", "markdown")
    assert code == 0 and out.startswith("## pgverify")


def test_macros(tmp_path: Path, check) -> None:
    project(tmp_path, {"notes/week1.md": MACRO_NOTES, "tex/macros.tex": MACROS, "tex/more.tex": "% nothing\n",
                       "pyproject.toml": pyproject('macros = "tex/macros.tex"\n')})
    code, out, _ = check(tmp_path, "notes/week1.md")
    assert code == 0, out
    # a list of files, relative to the config's folder, also from a subfolder
    (tmp_path / "pyproject.toml").write_text(pyproject('macros = ["tex/more.tex", "tex/macros.tex"]\n'))
    code, out, _ = check(tmp_path / "notes", "week1.md")
    assert code == 0, out
    # without the macros the block cannot be read
    (tmp_path / "pyproject.toml").write_text(pyproject("seed = 0\n"))
    code, out, _ = check(tmp_path, "notes/week1.md")
    assert code == 2 and "\\dbl" in out
    # --macros on the command line replaces the configured files
    (tmp_path / "pyproject.toml").write_text(pyproject('macros = "tex/more.tex"\n'))
    assert check(tmp_path, "notes/week1.md")[0] == 2
    assert check(tmp_path, "notes/week1.md", "--macros", "tex/macros.tex")[0] == 0


def test_a_missing_macros_file_is_a_usage_error(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject('macros = "nowhere.tex"\n')})
    code, _, err = check(tmp_path, "good.pgv")
    assert code == 2 and "nowhere.tex" in err


def test_all_math(tmp_path: Path, check) -> None:
    project(tmp_path, {"notes.md": UNMARKED_NOTES, "pyproject.toml": pyproject("all_math = true\n")})
    code, out, _ = check(tmp_path, "notes.md")
    assert code == 1 and "refuted" in out
    assert check(tmp_path, "notes.md", "--marked-math")[0] == 0
    (tmp_path / "pyproject.toml").write_text(pyproject("all_math = false\n"))
    assert check(tmp_path, "notes.md")[0] == 0
    assert check(tmp_path, "notes.md", "--all-math")[0] == 1


def test_fail_on(tmp_path: Path, check) -> None:
    project(tmp_path, {"prop.pgv": UNKNOWN_ONLY, "pyproject.toml": pyproject('fail_on = "refuted"\n')})
    assert check(tmp_path, "prop.pgv")[0] == 0
    assert check(tmp_path, "prop.pgv", "--fail-on", "unknown")[0] == 1
    (tmp_path / "pyproject.toml").write_text(pyproject('fail_on = "unknown"\n'))
    assert check(tmp_path, "prop.pgv")[0] == 1
    assert check(tmp_path, "prop.pgv", "--fail-on", "refuted")[0] == 0


def test_seed(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject('seed = 7\nformat = "json"\n')})
    assert json.loads(check(tmp_path, "good.pgv")[1])["seed"] == 7
    assert json.loads(check(tmp_path, "good.pgv", "--seed", "3")[1])["seed"] == 3


def test_time_limit(tmp_path: Path, check, monkeypatch: pytest.MonkeyPatch) -> None:
    """The configured limit is the one applied, and --time-limit overrides it.

    Every step is made to take a second before the engine even starts (the workers are forked from this
    process, so they inherit the patch): far longer than the configured 0.1 s, far shorter than 60 s.
    No timing luck is involved in either direction.
    """
    import time

    from pgverify import checker

    real = checker.check_step

    def slow(*args, **kwargs):
        time.sleep(1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(checker, "check_step", slow)
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject('time_limit = 0.1\nformat = "json"\n')})
    code, out, _ = check(tmp_path, "good.pgv")
    (step,) = [s for f in json.loads(out)["files"] for d in f["derivations"] for s in d["steps"]]
    assert code == 1 and step["verdict"] == "unknown", step
    assert step["message"] == "time limit of 0.1 s per step exceeded"
    code, out, _ = check(tmp_path, "good.pgv", "--time-limit", "60")
    (step,) = [s for f in json.loads(out)["files"] for d in f["derivations"] for s in d["steps"]]
    assert code == 0 and step["verdict"] == "proved" and "time limit" not in step["message"], step


def test_strict(tmp_path: Path, check) -> None:
    project(tmp_path, {"bare.pgv": WITHOUT_JUSTIFICATION, "pyproject.toml": pyproject("strict = true\n")})
    assert check(tmp_path, "bare.pgv")[0] == 1
    assert check(tmp_path, "bare.pgv", "--no-strict")[0] == 0


# ----------------------------------------------------------------------------- which file


def test_pgverify_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject('seed = 1\nformat = "json"\n'),
                       "pgverify.toml": 'seed = 2\nformat = "json"\n'})
    assert json.loads(check(tmp_path, "good.pgv")[1])["seed"] == 2


def test_the_nearest_config_wins(tmp_path: Path, check) -> None:
    project(tmp_path, {"pgverify.toml": 'seed = 1\nformat = "json"\n',
                       "course/good.pgv": GOOD, "course/pyproject.toml": pyproject('seed = 5\nformat = "json"\n')})
    assert json.loads(check(tmp_path / "course", "good.pgv")[1])["seed"] == 5


def test_a_pyproject_without_the_table_is_passed_over(tmp_path: Path, check) -> None:
    project(tmp_path, {"pgverify.toml": 'seed = 4\nformat = "json"\n',
                       "course/good.pgv": GOOD, "course/pyproject.toml": "[project]\nname = \"x\"\n"})
    assert json.loads(check(tmp_path / "course", "good.pgv")[1])["seed"] == 4


def test_config_option_names_the_file(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject('seed = 1\nformat = "json"\n'),
                       "ci/pgverify.toml": 'seed = 9\nformat = "json"\n'})
    assert json.loads(check(tmp_path, "good.pgv", "--config", "ci/pgverify.toml")[1])["seed"] == 9


def test_command_line_overrides_every_setting_at_once(tmp_path: Path, check) -> None:
    project(tmp_path, {"prop.pgv": UNKNOWN_ONLY, "notes.md": UNMARKED_NOTES,
                       "pyproject.toml": pyproject('paths = ["nowhere/"]\nformat = "text"\nseed = 1\n'
                                                   'fail_on = "unknown"\nall_math = true\n')})
    code, out, _ = check(tmp_path, "prop.pgv", "notes.md", "--format", "json", "--seed", "2",
                         "--fail-on", "refuted", "--marked-math")
    document = json.loads(out)
    assert code == 0 and document["seed"] == 2 and document["summary"]["unknown"] == 1
    assert document["summary"]["refuted"] == 0


# ----------------------------------------------------------------------------- errors: exit 2, naming file and key


@pytest.mark.parametrize("name", ["pyproject.toml", "pgverify.toml"])
def test_an_unknown_key_is_an_error_naming_file_and_key(name: str, tmp_path: Path, check) -> None:
    settings = "seed = 1\nfail_onn = \"refuted\"\n"
    project(tmp_path, {"good.pgv": GOOD, name: pyproject(settings) if name == "pyproject.toml" else settings})
    code, out, err = check(tmp_path, "good.pgv")
    assert code == 2 and out == ""
    assert name in err and "fail_onn" in err


@pytest.mark.parametrize("setting,key", [
    ('seed = "zero"', "seed"),
    ('seed = true', "seed"),
    ('time_limit = "5s"', "time_limit"),
    ('time_limit = false', "time_limit"),
    ('all_math = "yes"', "all_math"),
    ('strict = 1', "strict"),
    ('paths = "notes/"', "paths"),
    ('exclude = "drafts/*"', "exclude"),
    ('format = 3', "format"),
    ('fail_on = false', "fail_on"),
    ('macros = 1', "macros"),
])
def test_a_wrong_type_is_an_error_naming_file_and_key(setting: str, key: str, tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject(setting + "\n")})
    code, out, err = check(tmp_path, "good.pgv")
    assert code == 2 and out == ""
    assert "pyproject.toml" in err and f"'{key}'" in err, err


@pytest.mark.parametrize("setting,key", [
    ('format = "xml"', "format"),
    ('fail_on = "never"', "fail_on"),
    ("time_limit = 0", "time_limit"),
    ("time_limit = -1.5", "time_limit"),
])
def test_a_wrong_value_is_an_error_naming_file_and_key(setting: str, key: str, tmp_path: Path, check) -> None:
    """As wrong as the same value on the command line (`--fail-on never`, `--time-limit 0` exit 2)."""
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject(setting + "\n")})
    code, _, err = check(tmp_path, "good.pgv")
    assert code == 2, f"{setting} was accepted"
    assert "pyproject.toml" in err and key.split("_")[0] in err, err


def test_the_tool_pgverify_entry_must_be_a_table(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": "[tool]\npgverify = 3\n"})
    code, _, err = check(tmp_path, "good.pgv")
    assert code == 2 and "pyproject.toml" in err and "[tool.pgverify]" in err


def test_invalid_toml_in_pgverify_toml_is_an_error(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "pgverify.toml": "seed = \n"})
    code, out, err = check(tmp_path, "good.pgv")
    assert code == 2 and out == ""
    assert "pgverify.toml" in err and "TOML" in err


def test_invalid_toml_given_with_config_is_an_error(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD, "ci.toml": "[oops\n"})
    code, _, err = check(tmp_path, "good.pgv", "--config", "ci.toml")
    assert code == 2 and "ci.toml" in err and "TOML" in err


def test_invalid_toml_in_a_pyproject_with_a_pgverify_table_is_an_error(tmp_path: Path, check) -> None:
    """A broken pyproject.toml that holds [tool.pgverify] must not be passed over silently
    (its settings, e.g. fail_on or exclude, would be dropped without a word)."""
    project(tmp_path, {"good.pgv": GOOD, "pyproject.toml": pyproject('fail_on = "refuted"\nseed = \n')})
    code, _, err = check(tmp_path, "good.pgv")
    assert code == 2, "the broken configuration was ignored"
    assert "pyproject.toml" in err and "TOML" in err


def test_a_missing_config_file_is_an_error(tmp_path: Path, check) -> None:
    project(tmp_path, {"good.pgv": GOOD})
    code, _, err = check(tmp_path, "good.pgv", "--config", "missing.toml")
    assert code == 2 and "missing.toml" in err


# ----------------------------------------------------------------------------- the real command


def test_python_m_pgverify_reads_the_config_of_its_working_directory(tmp_path: Path) -> None:
    project(tmp_path, {"notes/good.pgv": GOOD, "notes/drafts/wip.pgv": FLAWED, "notes/prop.pgv": UNKNOWN_ONLY,
                       "pyproject.toml": pyproject('paths = ["notes/"]\nexclude = ["notes/drafts/*"]\n'
                                                   'format = "json"\nfail_on = "refuted"\nseed = 11\n')})
    proc = subprocess.run([sys.executable, "-m", "pgverify", "check"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["seed"] == 11
    assert sorted(Path(f["path"]).name for f in document["files"]) == ["good.pgv", "prop.pgv"]
