"""`pgverify grade`: one row per submission whatever it holds, scores by the rubric, feedback, determinism, cache."""

from __future__ import annotations

import json
import shutil
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgverify.cli import app
from pgverify.grading import GradeOptions, collect, grade_class, load_assignment
from pgverify.grading.assignment import AssignmentError, parse
from pgverify.grading.feedback import render as render_feedback
from pgverify.grading.formats import render_csv, render_json, render_text
from pgverify.rules import misconception

HERE = Path(__file__).resolve().parent / "grading"
DECOMPOSITION = HERE / "decomposition"
DECOMPOSITION_TOML = HERE / "decomposition.toml"
REWARD_TO_GO = HERE / "reward_to_go"
REWARD_TO_GO_TOML = HERE / "reward_to_go.toml"
TIME_LIMIT = 5.0     # karl.pgv never finishes: it costs this much per run

runner = CliRunner()


def _grade(folder: Path, toml: Path, jobs: int = 2, cache_dir: Path | None = None, **options):
    assignment = load_assignment(toml)
    return grade_class(assignment, collect(folder),
                       GradeOptions(jobs=jobs, time_limit=options.pop("time_limit", TIME_LIMIT), cache_dir=cache_dir,
                                    **options))


@pytest.fixture(scope="module")
def two_workers():
    return _grade(DECOMPOSITION, DECOMPOSITION_TOML, jobs=2)


@pytest.fixture(scope="module")
def by_student(two_workers) -> dict[str, dict]:
    return {r["student"]: r for r in two_workers.records}


# --------------------------------------------------------------------------- one row each


def test_every_submission_has_one_row_with_its_status(by_student) -> None:
    assert list(by_student) == sorted(by_student)
    assert {s: r["status"] for s, r in by_student.items()} == {
        "alice": "graded", "bob": "graded", "carol": "graded", "dave": "graded", "erin": "graded",
        "frank": "graded", "grace": "graded",
        "henry": "parse-error",     # a bracket never closed
        "ivan": "graded",           # empty: graded 0 with a message
        "judy": "parse-error",      # binary
        "karl": "time-limit",       # sympy would expand for ever
    }


def test_the_first_error_of_each_flawed_submission(by_student) -> None:
    first = {s: r["first_error"] for s, r in by_student.items()}
    assert first["carol"] == 1      # the policy term dropped instead of the dynamics
    assert first["dave"] == 0       # the log of a product as a product of logs
    assert first["erin"] == 2       # θ-dependent dynamics treated as independent
    for correct in ("alice", "bob", "frank", "grace"):
        assert first[correct] == -1, correct
    steps = by_student["erin"]["steps"]
    assert [s["line"] for s in steps] == [8, 9, 10, 11]
    assert steps[2]["verdict"] == "refuted" and all(s["verdict"] == "proved" for s in steps[:2])


def test_the_mistakes_are_named(by_student) -> None:
    named = {s: [d["name"] for d in r["diagnoses"]] for s, r in by_student.items() if r["diagnoses"]}
    assert named["carol"] == ["policy-term-dropped-instead-of-dynamics"]
    assert named["dave"][0] == "log-of-product-as-product-of-logs"
    assert named["erin"] == ["theta-dependent-term-treated-as-independent"]
    assert by_student["carol"]["diagnoses"][0]["line"] == 4


def test_scores_follow_the_rubric(by_student) -> None:
    # the rubric of decomposition.toml, by hand; the maximum is the assignment's: valid_step · max_steps + goal
    valid, faulty, goal, mismatch, missing_rule, forbidden_rule, missing_step = 1, -2, 4, Fraction(-1, 2), -1, -1, -1
    maximum = 12 * valid + goal

    def clamp(x):
        return max(0, x)

    expected = {
        "alice": 3 * valid + goal,
        "bob": 2 * valid + goal + missing_step,                      # no ∇_θ sum log π step
        "carol": clamp(1 * valid + 1 * faulty + missing_step),       # raw -2
        "dave": clamp(2 * faulty + missing_step),
        "erin": 3 * valid + 1 * faulty,
        "frank": 3 * valid + goal + 3 * mismatch + 2 * missing_rule,  # no `by` at all
        "grace": 3 * valid + goal + 1 * mismatch + forbidden_rule,     # `by eglp`
        "henry": 0, "ivan": 0, "judy": 0, "karl": 0,
    }
    for student, score in expected.items():
        record = by_student[student]
        assert (record["score"], record["max_score"]) == (score, maximum), student
    assert by_student["frank"]["score"] == 3.5 and by_student["grace"]["score"] == 5.5
    assert by_student["carol"]["breakdown"][-1] == {"line": "clamped at 0", "count": 1, "points_each": 2,
                                                     "points": 2}
    for record in by_student.values():
        total = sum(Fraction(str(line["points"])) for line in record["breakdown"])
        assert total == Fraction(str(record["score"])), record["student"]


def test_the_goal_comes_from_the_assignment(by_student) -> None:
    assert {s for s, r in by_student.items() if r["goal"] == "reached"} == {"alice", "bob", "frank", "grace"}
    assert not any("not the assignment's" in m for m in by_student["erin"]["messages"])  # erin restated it


def test_line_numbers_are_those_of_the_students_file(by_student) -> None:
    assert [s["line"] for s in by_student["alice"]["steps"]] == [3, 4, 5]
    assert [s["line"] for s in by_student["bob"]["steps"]] == [8, 9]        # inside the Markdown fence


def test_unreadable_submissions_say_why(by_student) -> None:
    (henry,) = by_student["henry"]["messages"]
    assert henry.startswith("line 3, column") and "never closed" in henry
    assert by_student["ivan"]["messages"] == ["the submission is empty"]
    assert "not text" in by_student["judy"]["messages"][0]
    assert "time limit of 5 s" in by_student["karl"]["messages"][0]


def test_a_submission_that_exhausts_memory_crashes_alone(tmp_path: Path) -> None:
    for name in ("karl.pgv", "alice.pgv"):
        shutil.copy(DECOMPOSITION / name, tmp_path / name)
    # 600 MiB: far below what karl's expansion needs, and room for alice's steps on a loaded machine
    records = {r["student"]: r for r in _grade(tmp_path, DECOMPOSITION_TOML, time_limit=120, memory_limit=600).records}
    # the claim that exhausts sympy's memory is one step: its proof runs out of memory, so it is unknown, or
    # checked when the random models decide it (it is a true identity); on a loaded machine the step's own
    # time limit (10 s) may come first, which is also the step's alone; the submission is still graded
    (step,) = records["karl"]["steps"]
    assert records["karl"]["status"] == "graded"
    assert step["verdict"] == "checked" or (step["verdict"] == "unknown" and (
        "memory" in step["message"] or "time limit of 10 s per step" in step["message"])), step
    assert records["alice"]["status"] == "graded" and records["alice"]["score"] == 7


# --------------------------------------------------------------------------- feedback


@pytest.fixture(scope="module")
def reward_to_go():
    return _grade(REWARD_TO_GO, REWARD_TO_GO_TOML)


def test_feedback_names_a_flawed_reward_to_go_step_and_its_line(reward_to_go) -> None:
    records = {r["student"]: r for r in reward_to_go.records}
    assert {s: (r["score"], r["first_error"]) for s, r in records.items()} == {
        "lucy": (5, -1), "mallory": (0, 0), "nina": (0, 0)}
    mallory = render_feedback(reward_to_go.assignment, records["mallory"])
    assert "Step 1 (line 5), the first step that is not valid" in mallory and "*Hint:*" in mallory
    assert "(see `pgverify explain off-by-one-in-bounds`)" in mallory
    nina = render_feedback(reward_to_go.assignment, records["nina"])
    assert "Step 1 (line 3)" in nina and "(see `pgverify explain reward-to-go-reversed`)" in nina
    for text in (mallory, nina):
        assert "sum_{k=t}^{1}" not in text                          # never the correct step
        assert "| faulty steps | 1 | -2 | -2 |" in text and "**0** of 5" in text


def test_feedback_files_are_written_per_student(tmp_path: Path) -> None:
    out = tmp_path / "feedback"
    result = runner.invoke(app, ["grade", str(REWARD_TO_GO), "-a", str(REWARD_TO_GO_TOML), "--feedback", str(out),
                                 "--no-cache", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["lucy.md", "mallory.md", "nina.md"]
    assert "Every step is valid and the chain reaches the goal." in (out / "lucy.md").read_text(encoding="utf-8")


def test_feedback_for_unreadable_and_unjustified_work(two_workers, by_student) -> None:
    henry = render_feedback(two_workers.assignment, by_student["henry"])
    assert "could not be read" in henry and "line 3, column" in henry
    frank = render_feedback(two_workers.assignment, by_student["frank"])
    assert "line 3: a justification (`by …`) is required" in frank and "the rule log-product must be cited" in frank


# --------------------------------------------------------------------------- formats


def test_csv_has_the_issues_columns(two_workers) -> None:
    lines = render_csv(two_workers).splitlines()
    assert lines[0] == "student,score,max_score,first_error,goal,faulty_steps,unknown_steps,status"
    assert "carol,0,16,1,not-reached,1,0,graded" in lines
    assert "frank,3.5,16,-1,reached,0,0,graded" in lines
    assert "karl,0,16,-1,not-reached,0,0,time-limit" in lines
    assert len(lines) == 12


def test_json_document(two_workers) -> None:
    document = json.loads(render_json(two_workers))
    assert document["schema"] == 1 and document["assignment"]["title"].startswith("Decompose")
    assert document["assignment"]["max_score"] == 16           # the assignment's, as in every row
    keys = {"student", "score", "max_score", "first_error", "goal", "steps", "diagnoses", "status", "messages"}
    for record in document["submissions"]:
        assert keys <= set(record)
    assert document["summary"] == {"submissions": 11, "graded": 8, "parse-error": 2, "time-limit": 1, "crashed": 0,
                                   "goals_reached": 4}


def test_text_has_the_table_the_distribution_and_the_mistakes(two_workers) -> None:
    text = render_text(two_workers)
    table = [line.split()[0] for line in text.split("\n\n")[1].splitlines()[1:]]   # the block after the title
    assert table == sorted(table) and len(table) == 11
    assert "Most frequent mistakes" in text and "policy-term-dropped-instead-of-dynamics" in text
    assert "    0  ██████████████████████████████ 6" in text


def test_the_same_bytes_whatever_the_number_of_workers(two_workers) -> None:
    one = _grade(DECOMPOSITION, DECOMPOSITION_TOML, jobs=1)
    assert render_json(one) == render_json(two_workers)
    assert render_csv(one) == render_csv(two_workers)


# --------------------------------------------------------------------------- inputs, cache, command line


def test_a_zip_archive(tmp_path: Path, by_student) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("hw3/", "")
        for name in ("alice.pgv", "carol.pgv", "henry.pgv", "judy.docx"):
            zf.write(DECOMPOSITION / name, f"hw3/{name}")
        zf.writestr("__MACOSX/hw3/._alice.pgv", b"\x00\x05\x16\x07")
        zf.writestr("hw3/.DS_Store", b"\x00\x00")
        zf.writestr("../../escape.pgv", "param x\nclaim x = x   by algebra\n")
    records = _grade(archive, DECOMPOSITION_TOML).records
    # hidden files, __MACOSX and paths through ".." are left out; nothing is extracted
    assert [r["student"] for r in records] == ["alice", "carol", "henry", "judy"]
    assert [r["file"] for r in records] == ["hw3/alice.pgv", "hw3/carol.pgv", "hw3/henry.pgv", "hw3/judy.docx"]
    assert not (tmp_path.parent / "escape.pgv").exists()
    for r in records:
        expected = {k: v for k, v in by_student[r["student"]].items() if k != "file"}
        assert {k: v for k, v in r.items() if k != "file"} == expected


def test_the_cache_grades_only_new_submissions(tmp_path: Path) -> None:
    folder, cache = tmp_path / "class", tmp_path / "cache"
    folder.mkdir()
    for name in ("alice.pgv", "carol.pgv"):
        shutil.copy(DECOMPOSITION / name, folder / name)
    first = _grade(folder, DECOMPOSITION_TOML, cache_dir=cache)
    assert (first.graded_now, first.from_cache) == (2, 0)
    shutil.copy(DECOMPOSITION / "dave.pgv", folder / "dave.pgv")   # a late submission
    second = _grade(folder, DECOMPOSITION_TOML, cache_dir=cache)
    assert (second.graded_now, second.from_cache) == (1, 2)
    assert second.records[:2] == first.records
    result = runner.invoke(app, ["grade", str(folder), "-a", str(DECOMPOSITION_TOML), "--cache-dir", str(cache),
                                 "--format", "json"])
    assert result.exit_code == 0
    assert "3 submissions: 0 graded now, 3 from the cache" in result.stderr
    assert json.loads(result.stdout)["submissions"] == second.records
    uncached = runner.invoke(app, ["grade", str(folder), "-a", str(DECOMPOSITION_TOML), "--no-cache", "--format",
                                   "json"])
    assert uncached.stdout == result.stdout
    assert "3 graded now, 0 from the cache" in uncached.stderr


def test_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "grades.csv"
    result = runner.invoke(app, ["grade", str(REWARD_TO_GO), "--assignment", str(REWARD_TO_GO_TOML), "--out", str(out),
                                 "--format", "csv", "--jobs", "1", "--no-cache"])
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8").splitlines()[1] == "lucy,5,5,-1,reached,0,0,graded"


@pytest.mark.parametrize("args, message", [
    (["grade", str(DECOMPOSITION)], "--assignment"),
    (["grade", "no-such-folder", "-a", str(DECOMPOSITION_TOML)], "no such file or directory"),
    (["grade", str(DECOMPOSITION), "-a", "no-such.toml"], "cannot read the assignment"),
    (["grade", str(DECOMPOSITION_TOML), "-a", str(DECOMPOSITION_TOML)], "neither a directory nor a zip"),
    (["grade", str(DECOMPOSITION), "-a", str(DECOMPOSITION_TOML), "--format", "xml"], "xml"),
])
def test_usage_errors_exit_2_without_a_traceback(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr + result.stdout


# --------------------------------------------------------------------------- the assignment file

GOOD = DECOMPOSITION_TOML.read_text(encoding="utf-8")


@pytest.mark.parametrize("change, message", [
    (("valid_step = 1", "valid_steps = 1"), "rubric.valid_steps: unknown key (did you mean `valid_step`?)"),
    (('justification = "required"', 'justification = "sometimes"'), 'expected "required" or "optional"'),
    (("faulty_step = -2", 'faulty_step = "-2"'), "rubric.faulty_step: expected a number"),
    (("max_steps = 12", "max_steps = 0"), "rubric.max_steps: expected a positive whole number"),
    (('"theta-independence"]', '"theta-independance"]'), "no rule named 'theta-independance' (did you mean"),
    (('goal = "∇_θ log Pr_θ(τ) = ', 'goal = "∇_θ log Pr_θ(τ) = ('), "goal: cannot read the goal"),
    (("use rl", "use rll"), "preamble: line 1: unknown vocabulary"),
    (("title = ", "titel = "), "titel: unknown key (did you mean `title`?)"),
    (("[rubric]", "[rubric\n"), "not valid TOML"),
])
def test_a_broken_assignment_is_named(change: tuple[str, str], message: str) -> None:
    text = GOOD.replace(*change, 1)
    assert text != GOOD
    with pytest.raises(AssignmentError) as caught:
        parse(text.encode(), "a.toml")
    assert message in str(caught.value) and str(caught.value).startswith("a.toml: ")


def _assignment(tmp_path: Path, rubric: str, requirements: str = "") -> Path:
    head = GOOD.split("[rubric]")[0]
    path = tmp_path / "assignment.toml"
    path.write_text(head + "[rubric]\n" + rubric + "\n" + requirements, encoding="utf-8")
    return path


def test_optional_justification_and_a_step_cap(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("alice.pgv", "frank.pgv", "grace.pgv"):
        shutil.copy(DECOMPOSITION / name, folder / name)
    optional = _assignment(tmp_path, 'justification = "optional"\nmax_steps = 2\n')
    records = {r["student"]: r for r in _grade(folder, optional).records}
    # defaults: valid 1, faulty -2, goal 4, mismatch -0.5; two of the three valid steps earn points
    assert (records["alice"]["score"], records["alice"]["max_score"]) == (2 + 4, 2 + 4)
    assert {r["max_score"] for r in records.values()} == {2 + 4}
    assert records["frank"]["score"] == 2 + 4                    # no `by`, no charge
    assert records["grace"]["score"] == 2 + 4 - 0.5              # `by eglp` is still wrong
    assert records["alice"]["breakdown"][0]["line"] == "valid steps (at most 2 earn points)"


def test_a_goal_of_ones_own_and_an_unproved_lemma(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "oscar.pgv").write_text(
        'derivation "mine"\ngoal ∇_θ log Pr_θ(τ) = 0\n' + (DECOMPOSITION / "alice.pgv").read_text(encoding="utf-8"),
        encoding="utf-8")
    (folder / "peggy.pgv").write_text(
        "lemma trust_me: ∇_θ log Pr_θ(τ) = sum_{t=0}^{T-1} ∇_θ log π_θ(a_t | s_t)\n\n"
        'derivation "by the lemma"\n    ∇_θ log Pr_θ(τ)\n  = sum_{t=0}^{T-1} ∇_θ log π_θ(a_t | s_t)   by trust_me\n',
        encoding="utf-8")
    plain = _assignment(tmp_path, "max_steps = 3")
    records = {r["student"]: r for r in _grade(folder, plain).records}
    oscar = records["oscar"]
    assert oscar["goal"] == "reached" and "line 2: this goal is not the assignment's" in oscar["messages"][0]
    peggy = records["peggy"]
    assert peggy["steps"][0]["verdict"] == "proved" and peggy["goal"] == "not-reached"


def test_an_ordering_assignment(tmp_path: Path) -> None:
    toml = tmp_path / "order.toml"
    toml.write_text('''\
title = "Put the decomposition in order"
preamble = """
use rl
def Pr_θ(τ) = prod_t π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
"""
goal = "∂/∂θ log Pr_θ(τ) = sum_t ∂/∂θ log π_θ(a_t | s_t)"

[order.items]
A = "∂/∂θ sum_t log π_θ(a_t | s_t) + ∂/∂θ sum_t log P(s_{t+1} | s_t, a_t)"
B = "sum_t ∂/∂θ log π_θ(a_t | s_t)"
C = "∂/∂θ log [ prod_t ( π_θ(a_t | s_t) * P(s_{t+1} | s_t, a_t) ) ]"
D = "∂/∂θ log Pr_θ(τ)"
''', encoding="utf-8")
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "quinn.txt").write_text("My answer:\nanswer: D C A B\n", encoding="utf-8")
    (folder / "rita.txt").write_text("answer: D A C B\n", encoding="utf-8")
    (folder / "sam.txt").write_text("I don't know\n", encoding="utf-8")
    (folder / "tess.txt").write_text("answer: D C A\n", encoding="utf-8")
    (folder / "uma.txt").write_text("answer: D C B A\n", encoding="utf-8")
    records = {r["student"]: r for r in _grade(folder, toml).records}
    assert (records["quinn"]["score"], records["quinn"]["max_score"], records["quinn"]["first_error"]) == (3 + 4, 7, -1)
    assert all(s["holds"] and s["on_right_order"] for s in records["quinn"]["steps"])
    rita = records["rita"]
    # every link holds (every item is the same value) and the ends meet the goal, but D → A takes three
    # rules at once and A → C goes backwards: not the right order, and no link of it earns a point
    assert [(s["holds"], s["on_right_order"]) for s in rita["steps"]] == [(True, False)] * 3
    assert (rita["score"], rita["max_score"], rita["first_error"], rita["goal"]) == (0, 7, 0, "not-reached")
    assert "line 1, position 2: D → A holds" in rita["messages"][0]
    assert rita["messages"][0].endswith("a step is skipped or taken backwards")
    feedback = render_feedback(load_assignment(toml), rita)
    assert "Step 1 (line 1), the link D → A:" in feedback and "a step is skipped or taken backwards" in feedback
    assert "D C A B" not in feedback                                  # the right order is never shown
    uma = records["uma"]
    # B, the goal's right side, before the end: the answer breaks at position 3, the link C → B
    # (D → C earns a point; C → B and B → A, the right order's A → B backwards, are wrong steps)
    assert [s["on_right_order"] for s in uma["steps"]] == [True, False, False]
    assert (uma["score"], uma["first_error"], uma["goal"]) == (0, 1, "not-reached")
    assert "line 1, position 3: B is the goal's right side" in uma["messages"][0]
    assert records["sam"]["status"] == "parse-error" and "answer:" in records["sam"]["messages"][0]
    assert "leaves out B" in records["tess"]["messages"][0] and records["tess"]["score"] == 2
    assert {r["max_score"] for r in records.values()} == {7}
    tess = render_feedback(load_assignment(toml), records["tess"])
    assert "Step 2 (line 1), the link C → A:" in tess and "Line 1, position 4: the answer leaves out B." in tess


# --------------------------------------------------------------------------- progress, cache, maximum, formats


def _class_of(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "class"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(DECOMPOSITION / name, folder / name)
    return folder


def _cached_files(cache: Path) -> int:
    return len(list((cache / "grade").rglob("*.json"))) if (cache / "grade").exists() else 0


def test_progress_advances_once_per_submission_and_each_result_is_cached_at_once(tmp_path: Path) -> None:
    folder = _class_of(tmp_path, "alice.pgv", "carol.pgv", "dave.pgv", "erin.pgv")
    cache = tmp_path / "cache"
    calls: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total, _cached_files(cache)))   # what a kill at this moment would keep

    assignment = load_assignment(DECOMPOSITION_TOML)
    options = GradeOptions(jobs=2, time_limit=TIME_LIMIT, cache_dir=cache)
    grade_class(assignment, collect(folder), options, progress)
    # once before grading, then once per submission as its result arrives, already on disk by then
    assert calls == [(0, 4, 0), (1, 4, 1), (2, 4, 2), (3, 4, 3), (4, 4, 4)]
    shutil.copy(DECOMPOSITION / "frank.pgv", folder / "frank.pgv")
    calls.clear()
    grade_class(assignment, collect(folder), options, progress)
    assert calls == [(4, 5, 4), (5, 5, 5)]


def test_a_time_limit_is_cached_under_its_limits(tmp_path: Path) -> None:
    folder = _class_of(tmp_path, "karl.pgv")          # never finishes: every run that grades it costs its limit
    cache = tmp_path / "cache"
    first = _grade(folder, DECOMPOSITION_TOML, cache_dir=cache, time_limit=1.0)
    assert first.records[0]["status"] == "time-limit" and (first.graded_now, first.from_cache) == (1, 0)
    again = _grade(folder, DECOMPOSITION_TOML, cache_dir=cache, time_limit=1.0)
    assert (again.graded_now, again.from_cache) == (0, 1) and again.records == first.records
    longer = _grade(folder, DECOMPOSITION_TOML, cache_dir=cache, time_limit=1.5)   # a larger limit: graded again
    assert (longer.graded_now, longer.from_cache) == (1, 0) and "1.5 s" in longer.records[0]["messages"][0]
    more_memory = _grade(folder, DECOMPOSITION_TOML, cache_dir=cache, time_limit=1.0, memory_limit=4096)
    assert (more_memory.graded_now, more_memory.from_cache) == (1, 0)


def test_a_step_the_class_shares_is_checked_once_and_served_to_the_others(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from pgverify import checker
    from pgverify.checkcache import SharedResults
    from pgverify.grading.grade import grade_submission

    assignment = load_assignment(DECOMPOSITION_TOML)
    options = GradeOptions(time_limit=60, cache_dir=None)
    alice = (DECOMPOSITION / "alice.pgv").read_bytes()
    respaced = alice.replace(b" | ", b"|").replace(b" + ", b"  +  ")   # the same steps, other text
    shared = SharedResults(tmp_path / "store")
    first = grade_submission(assignment, "alice.pgv", alice, options, shared=shared)
    assert shared.misses and not shared.hits

    def broken(*args, **kwargs):
        raise RuntimeError("a shared step was checked again")
    monkeypatch.setattr(checker, "check_step", broken)   # the step workers fork with it
    again = SharedResults(tmp_path / "store")          # another worker: it reads what the first one wrote
    second = grade_submission(assignment, "alice2.pgv", respaced, options, shared=again)
    assert again.hits and not again.misses
    assert [s["verdict"] for s in second["steps"]] == [s["verdict"] for s in first["steps"]] == ["proved"] * 3
    assert [s["text"] for s in second["steps"]] != [s["text"] for s in first["steps"]]
    monkeypatch.undo()
    alone = grade_submission(assignment, "alice2.pgv", respaced, options)   # and without the store: the same
    assert alone == second


def test_sharing_steps_between_submissions_does_not_change_a_grade(tmp_path: Path) -> None:
    folder = _class_of(tmp_path, "alice.pgv", "carol.pgv", "dave.pgv", "erin.pgv")
    together = _grade(folder, DECOMPOSITION_TOML, jobs=1, time_limit=60).records
    for record in together:
        alone = tmp_path / record["student"]
        alone.mkdir()
        shutil.copy(folder / record["file"], alone / record["file"])
        assert _grade(alone, DECOMPOSITION_TOML, jobs=1, time_limit=60).records == [record]


def test_a_new_cache_directory_is_git_ignored(tmp_path: Path) -> None:
    folder = _class_of(tmp_path, "alice.pgv")
    cache = tmp_path / "new" / ".pgverify-cache"
    _grade(folder, DECOMPOSITION_TOML, cache_dir=cache)
    assert "*" in (cache / ".gitignore").read_text(encoding="utf-8").splitlines()
    own = tmp_path / "mine"                          # a directory that exists is the user's: left as it is
    own.mkdir()
    _grade(folder, DECOMPOSITION_TOML, cache_dir=own)
    assert not (own / ".gitignore").exists() and _cached_files(own) == 1


def test_max_score_is_the_assignments_whatever_the_length(by_student) -> None:
    lengths = {s: len(r["steps"]) for s, r in by_student.items()}
    assert lengths["bob"] == 2 and lengths["alice"] == 3 and lengths["erin"] == 4 and lengths["henry"] == 0
    assert {r["max_score"] for r in by_student.values()} == {12 * 1 + 4}    # valid_step · max_steps + goal_reached


def test_max_score_given_in_the_rubric_caps_the_score(tmp_path: Path) -> None:
    folder = _class_of(tmp_path, "alice.pgv", "bob.md", "karl.pgv")
    toml = _assignment(tmp_path, "valid_step = 2\nmax_score = 5\n")
    records = {r["student"]: r for r in _grade(folder, toml, time_limit=1.0).records}
    assert {r["max_score"] for r in records.values()} == {5}
    # 3 · 2 + 4 = 10 is more than the maximum the instructor gave: the score stops at it, and says so
    assert records["alice"]["score"] == 5
    assert records["alice"]["breakdown"][-1] == {"line": "capped at max_score", "count": 1, "points_each": -5,
                                                  "points": -5}
    assert "| capped at max_score (a score never exceeds it) | | | -5 |" in render_feedback(
        load_assignment(toml), records["alice"])


def test_a_derivation_rubric_without_a_fixed_maximum_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match="set `max_steps`.*or `max_score`"):
        load_assignment(_assignment(tmp_path, "valid_step = 1\n"))
    assert load_assignment(_assignment(tmp_path, "valid_step = 0\n")).rubric.max_score == 4   # the goal alone
    with pytest.raises(AssignmentError, match="rubric.max_score: expected a positive number"):
        load_assignment(_assignment(tmp_path, "max_score = 0\n"))


def test_first_error_is_0_based_in_csv_and_json_and_step_n_from_1_for_people(two_workers, by_student) -> None:
    erin = by_student["erin"]
    assert erin["first_error"] == 2 and erin["steps"][2]["line"] == 10      # the third step, on line 10
    assert "erin,1,16,2,not-reached,1,0,graded" in render_csv(two_workers).splitlines()
    assert {r["student"]: r["first_error"] for r in json.loads(render_json(two_workers))["submissions"]}["erin"] == 2
    text = render_text(two_workers)
    (row,) = [line for line in text.splitlines() if line.startswith("erin ")]
    assert row.endswith("step 3 (line 10)")
    assert "step N counts a submission's steps from 1 (the first_error of CSV and JSON counts from 0)" in text
    feedback = render_feedback(two_workers.assignment, erin)
    assert "Step 3 (line 10), the first step that is not valid" in feedback
    (marked,) = [line for line in feedback.splitlines() if line.endswith("← first mistake")]
    assert marked.startswith("✗ step 3, line 10  ")


def test_mistakes_are_named_as_explain_accepts_them(two_workers, by_student) -> None:
    text = render_text(two_workers)
    names = {d["name"] for r in by_student.values() for d in r["diagnoses"]}
    assert names
    for name in names:
        assert misconception(name).name == name                   # a catalogue name, the one `explain` takes
        assert f"  {name}: " in text
    assert "`pgverify explain NAME` describes a mistake" in text
    dave = render_feedback(two_workers.assignment, by_student["dave"])
    assert "(see `pgverify explain log-of-product-as-product-of-logs`)" in dave
