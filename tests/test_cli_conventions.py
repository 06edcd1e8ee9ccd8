"""`pgverify check` behaves like the linters its users know (ruff, mypy, pytest).

Standard input as `-`, --quiet/--verbose, --output-file and repeatable --output, NO_COLOR/FORCE_COLOR,
--version/-V, shell completion, --select/--ignore (and their settings), `pgverify: ignore` comments,
explicit paths, and messages in our own words.  Each convention is exercised through the command line
(typer's CliRunner, or the installed `pgverify` in a subprocess where a real process matters).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgverify import cli, filters, parse
from pgverify.checker import Options, check_source
from pgverify.cli import app, use_color
from pgverify.model import Suppression

from .test_cli import REFUTED, _file, _run_on_terminal
from .test_cli import VALID_WITH_BY as VALID

ROOT = Path(__file__).resolve().parent.parent
EXE = ROOT / ".venv" / "bin" / "pgverify"
PGVERIFY = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "pgverify"]
# two refuted steps, both diagnosed as chain-rule-inner-derivative-dropped, citing chain-rule (a mismatch)
DIAGNOSED = ROOT / "proofs" / "flawed" / "chain-rule-inner-derivative-dropped.pgv"
ANSI = re.compile(r"\x1b\[")

MIXED = "param x\nclaim x + x = 2 x   by algebra\nclaim x + x = 3 x   by algebra\n"
GOAL_NOT_REACHED = 'param x\nderivation "short"\ngoal x + x = 3 x\n    x + x\n  = 2 x     by algebra\n'
MARKDOWN = "# Notes\n\n```pgverify\nparam x\nclaim x + x = 3 x   by algebra\n```\n"

runner = CliRunner()


def _check(*args: str | Path, input: str | None = None):
    return runner.invoke(app, ["check", *map(str, args)], input=input)


def _steps(document: dict) -> list[dict]:
    return [s for f in document["files"] for d in f["derivations"] for s in d["steps"]]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PGVERIFY, *args], cwd=cwd, env=_env(**env), timeout=300, check=False,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


# ----------------------------------------------------------------------------- 1. standard input


def test_dash_reads_standard_input_as_pgv_named_stdin() -> None:
    result = _check("--format", "json", "-", input=REFUTED)
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert [f["path"] for f in document["files"]] == ["<stdin>"]
    assert [s["verdict"] for s in _steps(document)] == ["refuted"]
    assert _check("-", input=VALID).exit_code == 0


def test_stdin_filename_chooses_the_reader_and_names_every_location() -> None:
    result = _check("--format", "github", "--stdin-filename", "notes/week3.md", "-", input=MARKDOWN)
    assert result.exit_code == 1, result.output
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert annotations and all("file=notes/week3.md,line=5" in line for line in annotations), annotations
    # the same text named .pgv is not a derivation: the Markdown reader was chosen by the name
    assert _check("--stdin-filename", "notes/week3.pgv", "-", input=MARKDOWN).exit_code == 2


def test_reader_applies_to_standard_input_and_to_named_files(tmp_path: Path) -> None:
    result = _check("--format", "json", "--reader", "markdown", "--stdin-filename", "page.txt", "-", input=MARKDOWN)
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["files"][0]["path"] == "page.txt"
    notes = _file(tmp_path, MARKDOWN, "page.txt")
    result = _check("--format", "json", "--reader", "markdown", notes)
    assert result.exit_code == 1, result.output
    assert [s["line"] for s in _steps(json.loads(result.stdout))] == [5]


def test_stdin_that_is_not_utf8_is_an_error_not_a_traceback() -> None:
    result = runner.invoke(app, ["check", "-"], input=b"\xff\xfeclaim")
    assert result.exit_code == 2
    assert "<stdin>:1:1" in result.stdout and "UTF-8" in result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ----------------------------------------------------------------------------- 2. quiet and verbose


def test_quiet_shows_only_faults_and_the_summary(tmp_path: Path) -> None:
    path = _file(tmp_path, MIXED)
    normal = _check(path)
    quiet = _check("-q", path)
    assert normal.exit_code == quiet.exit_code == 1
    assert "proved" in normal.stdout and "refuted" in normal.stdout
    assert "proved  L2" not in quiet.stdout and "L2 " not in quiet.stdout
    assert "L3" in quiet.stdout and "refuted" in quiet.stdout
    assert quiet.stdout.strip().splitlines()[-1] == normal.stdout.strip().splitlines()[-1]  # the summary
    # a file without faults says nothing but the summary
    clean = _check("--quiet", _file(tmp_path, VALID, "valid.pgv"))
    assert clean.exit_code == 0 and clean.stdout.strip().splitlines() == [clean.stdout.strip().splitlines()[-1]]
    assert "Summary" in clean.stdout


def test_quiet_applies_to_every_format_but_the_summary_counts_the_whole_run(tmp_path: Path) -> None:
    path = _file(tmp_path, MIXED)
    document = json.loads(_check("--quiet", "--format", "json", path).stdout)
    assert [s["line"] for s in _steps(document)] == [3]
    assert document["summary"]["steps"] == 2 and document["summary"]["proved"] == 1
    assert document["exit_code"] == 1


def test_verbose_asks_the_text_renderer_for_every_detail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []

    def spy(report, *, color: bool = False, width: int = 100, verbose: bool = False) -> str:
        seen.append({"verbose": verbose, "steps": len(report.steps())})
        return "rendered\n"

    monkeypatch.setitem(cli.RENDERERS, "text", spy)
    path = _file(tmp_path, MIXED)
    assert _check("--verbose", path).stdout == "rendered\n"
    assert _check(path).exit_code == 1
    assert seen == [{"verbose": True, "steps": 2}, {"verbose": False, "steps": 2}]


def test_verbose_with_the_real_renderer_keeps_everything(tmp_path: Path) -> None:
    path = _file(tmp_path, MIXED)
    normal, verbose = _check(path), _check("-v", path)
    assert verbose.exit_code == normal.exit_code == 1
    # every line of the normal report is kept, and the valid step gains detail of its own
    assert set(normal.stdout.splitlines()) <= set(verbose.stdout.splitlines())
    assert len(verbose.stdout.splitlines()) > len(normal.stdout.splitlines())


def test_quiet_and_verbose_together_is_a_usage_error(tmp_path: Path) -> None:
    result = _check("-q", "-v", _file(tmp_path, VALID))
    assert result.exit_code == 2 and "--quiet and --verbose" in result.stderr and result.stdout == ""


# ----------------------------------------------------------------------------- 3. output files


def test_output_file_replaces_standard_output(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = _check("--format", "json", "--output-file", target, _file(tmp_path, REFUTED))
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["refuted"] == 1


def test_several_outputs_from_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    real = cli.check_sources

    def counting(sources, options, cache=None):
        runs.extend(source.path for source in sources)
        return real(sources, options, cache)

    monkeypatch.setattr(cli, "check_sources", counting)
    path = _file(tmp_path, REFUTED)
    sarif, junit, github = tmp_path / "out.sarif", tmp_path / "junit.xml", tmp_path / "annotations.txt"
    result = _check("--format", "text", "--output", f"sarif:{sarif}", "--output", f"junit:{junit}",
                    "--output", f"github:{github}", path)
    assert result.exit_code == 1
    assert runs == [str(path)]  # checked once
    assert "Summary" in result.stdout
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"][0]["level"] == "error"
    assert "<failure" in junit.read_text(encoding="utf-8")
    assert github.read_text(encoding="utf-8").startswith("::error file=")


@pytest.mark.parametrize("args,words", [
    (["--output-file", "{tmp}/no/such/folder/r.json"], "does not exist"),
    (["--output", "sarif:{tmp}/missing/out.sarif"], "does not exist"),
    (["--output", "{tmp}/out.sarif"], "FORMAT:PATH"),
    (["--output", "xml:{tmp}/out.xml"], "must be one of"),
    (["--output-file", "{tmp}"], "directory"),
    (["--output", "json:{tmp}/a.json", "--output", "sarif:{tmp}/a.json"], "written twice"),
])
def test_a_bad_output_is_a_usage_error_before_any_checking(args: list[str], words: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args, **_kwargs):
        raise AssertionError("a step was checked")

    monkeypatch.setattr(cli, "check_sources", never)
    result = _check(*[a.format(tmp=tmp_path) for a in args], _file(tmp_path, REFUTED))
    assert result.exit_code == 2, result.output
    assert words in result.stderr and result.stdout == ""
    assert not (tmp_path / "no").exists() and not (tmp_path / "missing").exists()
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- 4. colour


def test_colour_precedence() -> None:
    assert use_color(False, {}, True) and not use_color(False, {}, False)
    assert not use_color(False, {"NO_COLOR": "1"}, True)
    assert use_color(False, {"NO_COLOR": ""}, True)           # an empty NO_COLOR does not count
    assert use_color(False, {"FORCE_COLOR": "1"}, False)
    assert not use_color(False, {"FORCE_COLOR": ""}, False)
    assert not use_color(True, {"FORCE_COLOR": "1"}, True)    # --no-color wins over FORCE_COLOR
    assert not use_color(False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, True)


def test_force_color_colours_a_pipe_and_no_color_wins(tmp_path: Path) -> None:
    path = _file(tmp_path, REFUTED)
    piped = _run(["check", str(path)], tmp_path)
    forced = _run(["check", str(path)], tmp_path, FORCE_COLOR="1")
    overruled = _run(["check", "--no-color", str(path)], tmp_path, FORCE_COLOR="1")
    assert piped.returncode == forced.returncode == overruled.returncode == 1, forced.stderr
    assert not ANSI.search(piped.stdout)
    assert ANSI.search(forced.stdout)
    assert not ANSI.search(overruled.stdout) and "refuted" in overruled.stdout
    # colour never goes into a report file
    target = tmp_path / "report.txt"
    assert _run(["check", "-o", str(target), str(path)], tmp_path, FORCE_COLOR="1").returncode == 1
    assert "refuted" in target.read_text(encoding="utf-8") and not ANSI.search(target.read_text(encoding="utf-8"))


def test_no_color_variable_on_a_terminal(tmp_path: Path) -> None:
    path = _file(tmp_path, REFUTED)
    code, output = _run_on_terminal(["check", str(path)], tmp_path, NO_COLOR="1")
    assert code == 1 and "refuted" in output and not ANSI.search(output)
    code, output = _run_on_terminal(["check", str(path)], tmp_path, NO_COLOR="")
    assert code == 1 and ANSI.search(output)   # empty: as if unset


def test_the_help_states_the_colour_precedence() -> None:
    text = " ".join(runner.invoke(app, ["check", "--help"], env={"COLUMNS": "80"}).stdout.split())
    for needle in ("--no-color wins", "NO_COLOR", "FORCE_COLOR", "even when piped"):
        assert needle in text


# ----------------------------------------------------------------------------- 5. version, 6. completion


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str, tmp_path: Path) -> None:
    from pgverify import __version__

    done = _run([flag], tmp_path)
    assert done.returncode == 0
    assert done.stdout == f"pgverify {__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


@pytest.mark.parametrize("shell,marker", [("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --command")])
def test_show_completion_prints_a_script(shell: str, marker: str, tmp_path: Path) -> None:
    # typer detects the shell unless told not to; the variable makes the shell an explicit argument
    done = _run(["--show-completion", shell], tmp_path, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert done.returncode == 0, done.stderr
    assert "_PGVERIFY_COMPLETE" in done.stdout and marker in done.stdout


def test_the_app_offers_completion() -> None:
    text = runner.invoke(app, ["--help"], env={"COLUMNS": "100"}).stdout
    assert "--install-completion" in text and "--show-completion" in text


# ----------------------------------------------------------------------------- 7. select and ignore


def _json(*args: str | Path) -> tuple[int, dict]:
    result = _check("--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("name", ["chain-rule", "chain rule", "chain-rule-inner-derivative-dropped", "refuted"])
def test_ignore_by_rule_alias_mistake_or_kind(name: str) -> None:
    code, document = _json(DIAGNOSED)
    assert code == 1
    code, document = _json("--ignore", name, DIAGNOSED)
    assert code == 0
    refuted = [s for s in _steps(document) if s["verdict"] == "refuted"]
    assert len(refuted) == 2 and all(s["silenced"] == "ignored" for s in refuted)  # still refuted
    assert all(s["silenced"] is None for s in _steps(document) if s["verdict"] != "refuted")
    assert document["summary"]["refuted"] == 2 and document["summary"]["ignored"] == 2


def test_ignored_faults_leave_the_ci_formats_but_stay_in_text(tmp_path: Path) -> None:
    path = _file(tmp_path, MIXED)
    github = _check("--format", "github", "--ignore", "refuted", path)
    assert github.exit_code == 0 and "::error" not in github.stdout
    sarif = json.loads(_check("--format", "sarif", "--ignore", "refuted", path).stdout)
    assert sarif["runs"][0]["results"] == []
    junit = _check("--format", "junit", "--ignore", "refuted", path).stdout
    assert "<failure" not in junit
    markdown = _check("--format", "markdown", "--ignore", "refuted", path).stdout
    assert ":3` | refuted" not in markdown and "all steps valid" not in markdown   # an ignored step is not valid
    assert "all steps valid" in _check("--format", "markdown", _file(tmp_path, VALID, "valid.pgv")).stdout
    text = _check("--ignore", "refuted", path)
    assert text.exit_code == 0 and "refuted" in text.stdout and "ignored" in text.stdout
    assert "Faults:" not in text.stdout


def test_select_keeps_only_matching_faults(tmp_path: Path) -> None:
    goal = _file(tmp_path, GOAL_NOT_REACHED, "goal.pgv")
    refuted = _file(tmp_path, REFUTED, "refuted.pgv")
    code, document = _json("--select", "goal", goal, refuted)
    assert code == 1
    assert [s["silenced"] for s in _steps(document)] == [None, "ignored"]   # goal.pgv's step is valid
    code, document = _json("--select", "refuted", goal, refuted)
    assert code == 1 and document["files"][0]["derivations"][0]["goal_silenced"] == "ignored"
    assert _json("--select", "unknown", goal, refuted)[0] == 0
    # --ignore wins over --select for a fault matching both
    assert _json("--select", "refuted,goal", "--ignore", "refuted", refuted)[0] == 0


def test_strict_faults_have_names_too(tmp_path: Path) -> None:
    bare = _file(tmp_path, "param x\nclaim x + x = 2 x\n", "bare.pgv")
    assert _check("--strict", bare).exit_code == 1
    assert _check("--strict", "--ignore", "uncited", bare).exit_code == 0
    # a step both refuted and citing the wrong rule: ignoring the mismatch leaves the refutation counting
    assert _check("--strict", "--ignore", "mismatch", DIAGNOSED).exit_code == 1
    assert _check("--strict", "--ignore", "mismatch,refuted", DIAGNOSED).exit_code == 0


@pytest.mark.parametrize("option,name,near", [("--ignore", "chain-rul", "chain-rule"),
                                              ("--select", "refutd", "refuted"),
                                              ("--ignore", "lost-discont", "lost-discount")])
def test_an_unknown_name_is_a_usage_error_with_a_suggestion(option: str, name: str, near: str,
                                                           tmp_path: Path) -> None:
    result = _check(option, f"refuted,{name}", _file(tmp_path, VALID))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"'{name}'" in result.stderr and f"did you mean {near}" in result.stderr
    assert "Traceback" not in result.output


def test_select_and_ignore_in_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _file(tmp_path, REFUTED, "refuted.pgv")
    _file(tmp_path, GOAL_NOT_REACHED, "goal.pgv")
    config = tmp_path / "pgverify.toml"
    config.write_text('ignore = ["refuted"]\n', encoding="utf-8")
    assert _check("refuted.pgv").exit_code == 0
    assert _check("refuted.pgv", "goal.pgv").exit_code == 1
    assert _check("--ignore", "goal", "refuted.pgv", "goal.pgv").exit_code == 0   # adds to the setting
    config.write_text('select = ["goal"]\n', encoding="utf-8")
    assert _check("refuted.pgv").exit_code == 0
    assert _check("--select", "refuted", "refuted.pgv").exit_code == 1           # replaces the setting
    config.write_text('ignore = ["refutd"]\n', encoding="utf-8")
    result = _check("refuted.pgv")
    assert result.exit_code == 2 and "pgverify.toml" in result.stderr and "'ignore'" in result.stderr
    assert "did you mean refuted" in result.stderr
    config.write_text('select = [1]\n', encoding="utf-8")
    result = _check("refuted.pgv")
    assert result.exit_code == 2 and "'select'" in result.stderr


# ----------------------------------------------------------------------------- 8. suppression comments


def _results(text: str, suppressions: tuple[Suppression, ...], strict: bool = False):
    source = replace(parse(text, "notes.pgv"), suppressions=suppressions)
    return source, check_source(source, Options(strict=strict))


def test_apply_suppressions_silences_matching_faults_on_the_target_line() -> None:
    source, result = _results(MIXED, (Suppression(line=1, column=9, target=3, names=("refuted",)),))
    silenced, notes = filters.apply_suppressions(source, result)
    refuted = result.derivations[1].steps[0]
    assert refuted.verdict == "refuted" and silenced == {(id(refuted), "refuted"): "suppressed"}
    assert notes == []


def test_apply_suppressions_by_rule_alias_and_without_names() -> None:
    for names in ((), ("algebra",), ("ALGEBRA",)):
        source, result = _results(REFUTED, (Suppression(2, 30, 2, names),))
        silenced, notes = filters.apply_suppressions(source, result)
        assert list(silenced.values()) == ["suppressed"] and notes == [], names


def test_an_unused_suppression_gives_a_note_at_the_comment() -> None:
    source, result = _results(MIXED, (Suppression(2, 31, 2), Suppression(3, 31, 3, ("chain-rule",))))
    silenced, notes = filters.apply_suppressions(source, result)
    assert silenced == {}
    assert [(n.line, n.column, n.code) for n in notes] == [(2, 31, "unused-suppression"),
                                                           (3, 31, "unused-suppression")]
    assert "chain-rule" in notes[1].message


def test_a_suppression_on_the_derivation_line_silences_its_goal() -> None:
    source, result = _results(GOAL_NOT_REACHED, (Suppression(2, 20, 2, ("goal",)),))
    silenced, notes = filters.apply_suppressions(source, result)
    assert silenced == {(id(result.derivations[0]), "goal"): "suppressed"} and notes == []


def test_a_strict_fault_is_suppressed_only_in_strict_mode() -> None:
    text = "param x\nclaim x + x = 2 x\n"
    comment = (Suppression(2, 20, 2, ("uncited",)),)
    assert filters.apply_suppressions(*_results(text, comment, strict=True), strict=True)[1] == []
    assert len(filters.apply_suppressions(*_results(text, comment))[1]) == 1   # nothing to silence: unused


def test_suppression_comments_in_a_pgv_file_end_to_end(tmp_path: Path) -> None:
    text = ("param x\n"
            "claim x + x = 3 x   by algebra   # pgverify: ignore[refuted]\n"
            "claim x + x = 2 x   by algebra   # pgverify: ignore\n")
    path = _file(tmp_path, text)
    if not parse(text, "probe.pgv").suppressions and not _readers_fill(path):
        pytest.skip("the .pgv reader does not fill SourceFile.suppressions yet")
    code, document = _json(path)
    assert code == 0
    assert [s["silenced"] for s in _steps(document)] == ["suppressed", None]
    (note,) = document["files"][0]["notes"]
    assert note["line"] == 3 and note["code"] == "unused-suppression" and note["column"] > 1
    assert document["summary"]["suppressed"] == 1
    github = _check("--format", "github", path).stdout
    assert "::error" not in github
    assert re.search(r"^::notice file=[^,]*input\.pgv,line=3,col=\d+,title=pgverify%3A unused-suppression::", github,
                     re.MULTILINE), github
    text_out = " ".join(_check(path).stdout.split())   # a long temporary path wraps the note's line
    assert "unused suppression" in text_out and "suppressed" in text_out
    # the comment names another rule: the refutation counts again
    other = _file(tmp_path, text.replace("ignore[refuted]", "ignore[chain-rule]"), "other.pgv")
    assert _check(other).exit_code == 1


def _readers_fill(path: Path) -> bool:
    from pgverify import readers

    return bool(readers.read(path).suppressions)


def test_suppressions_reach_the_report_through_the_command_line(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a reader finds in ``SourceFile.suppressions`` is applied (a reader stands in here)."""
    real = cli.read_input

    def with_comment(*args, **kwargs):
        source, skipped = real(*args, **kwargs)
        return replace(source, suppressions=(Suppression(1, 1, 3, ("algebra",)),)), skipped

    monkeypatch.setattr(cli, "read_input", with_comment)
    code, document = _json(_file(tmp_path, MIXED))
    assert code == 0 and [s["silenced"] for s in _steps(document)] == [None, "suppressed"]


# ----------------------------------------------------------------------------- 9. paths


def test_a_missing_file_is_reported_once(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pgv"
    result = _check(missing, _file(tmp_path, VALID))
    assert result.exit_code == 2
    assert (result.stdout + result.stderr).count("missing.pgv") == 1, result.output


def test_an_unknown_extension_named_explicitly_is_an_error(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    notes = _file(tmp_path, REFUTED, "notes.txt")
    result = _check(notes)
    assert result.exit_code == 2 and result.stdout == ""
    assert "notes.txt" in result.stderr and "'.txt'" in result.stderr and "--reader" in result.stderr
    result = _check("--reader", "pgv", notes)
    assert result.exit_code == 1 and "refuted" in result.stdout
    # found in a directory, a .txt file is simply not read
    assert _check(tmp_path).exit_code == 2   # nothing pgverify can read there
    _file(tmp_path, VALID, "valid.pgv")
    code, document = _json(tmp_path)
    assert code == 0 and [Path(f["path"]).name for f in document["files"]] == ["valid.pgv"]


def test_an_excluded_file_named_explicitly_is_checked_with_a_warning(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drafts").mkdir()
    _file(tmp_path / "drafts", REFUTED, "wip.pgv")
    (tmp_path / "pgverify.toml").write_text('exclude = ["drafts/*"]\n', encoding="utf-8")
    result = _check("drafts/wip.pgv")
    assert result.exit_code == 1 and "refuted" in result.stdout
    assert "drafts/wip.pgv is excluded by exclude in" in result.stderr
    assert "checking it because it was named" in result.stderr
    assert _check("drafts").exit_code == 2   # the folder: its files stay excluded


# ----------------------------------------------------------------------------- 10. messages and help


@pytest.mark.parametrize("args,message", [
    (["--fail-on", "never"], "--fail-on must be one of: refuted, unknown"),
    (["--format", "xml"], "--format must be one of: text, json, github, junit, sarif, markdown"),
    (["--reader", "word"], "--reader must be one of: pgv, markdown, tex, rest, notebook"),
    (["--time-limit", "0.01"], "--time-limit must be at least 0.1 seconds"),
])
def test_bad_choices_are_answered_in_our_words(args: list[str], message: str, tmp_path: Path) -> None:
    result = _check(*args, _file(tmp_path, VALID))
    assert result.exit_code == 2
    assert message in result.stderr
    for foreign in ("Value error", "Invalid value", "is not one of", "x>=", "Traceback"):
        assert foreign not in result.output


def test_check_help_reads_well_at_80_columns() -> None:
    result = runner.invoke(app, ["check", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    text = result.stdout
    assert "Output format ." not in text and "j unit" not in text
    assert not re.search(r"[a-z] \.(\s|$)", text), text   # a default eaten by markup leaves "word ."
    flat = " ".join(text.replace("│", " ").split())
    for option in ("--format", "--output-file", "--output", "--quiet", "--verbose", "--select", "--ignore",
                   "--stdin-filename", "--reader", "--fail-on", "--no-color", "--time-limit"):
        assert option in flat
    assert "refuted (only refuted steps) or unknown" in flat
    assert "text, json, github, junit, sarif, markdown" in flat
    assert "pgv, markdown, tex, rest, notebook" in flat
