"""`pgverify order`: the seed's ordering exercises are solved, and answers graded (right, or where they break)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgverify.checker import Options
from pgverify.cli import app
from pgverify.grading.order import grade_answer, parse_answer, parse_exercises, solve

SEED = Path(__file__).resolve().parent / "grading" / "seed_order.txt"
runner = CliRunner()


@pytest.fixture(scope="module")
def seed():
    exercises, errors = parse_exercises(SEED.read_text(encoding="utf-8"), str(SEED))
    assert errors == []
    return [(e, solve(e, Options())) for e in exercises]


def test_the_seed_file_holds_two_exercises(seed) -> None:
    (pg, _), (decomposition, _) = seed
    assert pg.title == "From the gradient of the objective to an expectation"
    assert pg.labels == ("A", "B", "C", "D", "E") and pg.answer == ("C", "E", "D", "A", "B") and pg.answer_line == 13
    assert decomposition.labels == ("A", "B", "C", "D")
    assert len(decomposition.declarations) == 2    # `use rl` (shared) and its own `def Pr_θ(τ)`
    assert len(pg.declarations) == 1


def test_the_policy_gradient_order_is_found(seed) -> None:
    exercise, solution = seed[0]
    # every link holds (every item is ∂J/∂θ), so the six orders of the middle items are chains;
    # one goes a rule at a time: J → ∂/∂θ sum → sum ∂ → sum Pr ∂log → E
    assert (solution.start, solution.end) == ("C", "B")
    assert solution.chains == 6
    assert solution.right == (("C", "E", "D", "A", "B"),)
    assert solution.links["E", "D"].rules == ("exchange",)
    assert solution.links["D", "A"].rules == ("log-derivative",)
    assert solution.links["A", "B"].rules == ("expectation",)
    assert grade_answer(exercise, solution, exercise.answer).right


def test_the_decomposition_order_is_found(seed) -> None:
    exercise, solution = seed[1]
    assert solution.right == (("D", "C", "A", "B"),)
    assert solution.links["C", "A"].rules == ("linearity", "log-product")
    assert solution.links["A", "B"].rules == ("theta-independence",)
    assert grade_answer(exercise, solution, exercise.answer).right


@pytest.mark.parametrize("index, answer, position, words", [
    # chains (every link holds: every item is the same value) that are not a right order
    (0, "C D E A B", 2, "C → D holds (definition, exchange, expectation), but no right order goes"),  # at once
    (0, "C A D E B", 2, "C → A holds"),                                    # the middle items backwards
    (1, "D A C B", 2, "D → A holds (definition, linearity, log-product), but no right order goes this way"),
])
def test_a_chain_that_is_not_a_right_order_is_wrong_where_it_leaves_them(seed, index, answer, position,
                                                                          words) -> None:
    exercise, solution = seed[index]
    order = tuple(answer.split())
    graded = grade_answer(exercise, solution, order)
    assert all(link.holds for link in graded.links) and order not in solution.right   # a chain, not a right order
    assert not graded.right and graded.position == position
    assert words in graded.reason and graded.reason.endswith("a step is skipped or taken backwards")


def test_every_right_order_is_right(seed) -> None:
    for exercise, solution in seed:
        for order in solution.right:
            graded = grade_answer(exercise, solution, order)
            assert graded.right and (graded.position, graded.reason) == (None, "")
            assert all(link.on_right_path for link in graded.links)


@pytest.mark.parametrize("index, answer, position, words", [
    (0, "E C D A B", 1, "E cannot come first: the chain starts at the goal's left side"),
    (0, "B A D E C", 1, "B cannot come first"),
    (1, "C D A B", 1, "C cannot come first"),
    # the goal's right side before the end, where the answer also leaves the right order: that reason wins
    (0, "C E D B A", 4, "B is the goal's right side"),
    (1, "D C B A", 3, "B is the goal's right side"),
    # it leaves the right order (at 3) before it stops being a chain (B at 4, before the end)
    (0, "C E A B D", 3, "E → A holds"),
])
def test_a_wrong_answer_breaks_at_the_first_wrong_position(seed, index, answer, position, words) -> None:
    exercise, solution = seed[index]
    graded = grade_answer(exercise, solution, tuple(answer.split()))
    assert not graded.right and graded.position == position
    assert words in graded.reason


@pytest.mark.parametrize("answer, position, words", [
    ("D C A X", 4, "X is not an item (the items are A, B, C, D)"),
    ("D C C B", 3, "C appears twice"),
    ("D C A", 4, "the answer leaves out B"),
])
def test_a_malformed_answer(seed, answer, position, words) -> None:
    exercise, solution = seed[1]
    graded = grade_answer(exercise, solution, tuple(answer.split()))
    assert (graded.right, graded.position, graded.reason) == (False, position, words)


def test_the_command_solves_and_grades_the_seed() -> None:
    result = runner.invoke(app, ["order", str(SEED)])
    assert result.exit_code == 0, result.output
    assert "C → E → D → A → B    (definition, expectation; exchange; log-derivative; expectation)" in result.stdout
    assert "D → C → A → B    (definition; linearity, log-product; theta-independence)" in result.stdout
    assert result.stdout.count("✓ right") == 2


def test_the_command_grades_a_wrong_answer(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    decomposition = text[text.index('exercise "Decomposition'):].replace("answer: D C A B", "answer: D C B A")
    path = tmp_path / "wrong.txt"
    path.write_text("use rl\n" + decomposition, encoding="utf-8")
    result = runner.invoke(app, ["order", str(path), "--format", "json"])
    assert result.exit_code == 1
    (exercise,) = json.loads(result.stdout)["exercises"]
    assert exercise["right"] == ["D C A B"] and exercise["chains"] == 2
    assert exercise["answer"]["right"] is False and exercise["answer"]["position"] == 3
    assert "B is the goal's right side" in exercise["answer"]["reason"]


def test_the_command_says_where_a_chain_leaves_the_right_order(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    decomposition = text[text.index('exercise "Decomposition'):].replace("answer: D C A B", "answer: D A C B")
    path = tmp_path / "skipped.txt"
    path.write_text("use rl\n" + decomposition, encoding="utf-8")
    result = runner.invoke(app, ["order", str(path)])
    assert result.exit_code == 1, result.output       # every link holds, but not in the right order
    assert ("D A C B  ✗ position 2: D → A holds (definition, linearity, log-product), but no right order goes"
            " this way: a step is skipped or taken backwards") in result.stdout
    document = json.loads(runner.invoke(app, ["order", str(path), "--format", "json"]).stdout)
    answer = document["exercises"][0]["answer"]
    assert set(answer) == {"order", "line", "right", "position", "reason"}      # no other fields
    assert (answer["order"], answer["right"], answer["position"]) == ("D A C B", False, 2)


def test_without_a_goal_every_hamiltonian_path_is_a_chain(tmp_path: Path) -> None:
    exercises, errors = parse_exercises("param x\nitem A: (x+1)^2\nitem B: x^2 + 2 x + 1\nitem C: (x+1) (x+1)\n")
    assert errors == []
    (exercise,) = exercises
    solution = solve(exercise, Options())
    assert solution.chains == 6                     # 3! orders, every link holds
    assert solution.right and all(tuple(reversed(order)) in solution.right for order in solution.right)


def test_no_right_order_when_an_item_is_wrong() -> None:
    text = "use rl\ngoal ∇_θ log π_θ(a | s) = ∇_θ π_θ(a | s) / π_θ(a | s)\n" \
           "item A: ∇_θ log π_θ(a | s)\nitem B: ∇_θ π_θ(a | s) / π_θ(a | s)\nitem C: ∇_θ π_θ(a | s)\nanswer: A C B\n"
    (exercise,), _ = parse_exercises(text)
    solution = solve(exercise, Options())
    assert solution.right == () and "no order" in solution.problem
    assert solution.links["A", "C"].verdict == "refuted" and solution.links["A", "C"].counterexample
    graded = grade_answer(exercise, solution, exercise.answer)
    # no order is a chain, and this answer breaks at its first link
    assert not graded.right and graded.position == 2 and graded.reason.startswith("A → C does not hold")


@pytest.mark.parametrize("text, message", [
    ("item A: x\nitem A: y\n", "item A is given twice"),
    ("item A: x +\nitem B: x\n", "the line ends too early"),
    ("item A: x\n", "between 2 and 8 items"),
    ("".join(f"item {chr(65 + i)}: x\n" for i in range(9)), "between 2 and 8 items"),
    ("param x\n    x\n  = x\nitem A: x\nitem B: x\n", "only declarations"),
    ("goal: x = \nitem A: x\nitem B: x\n", "the line ends too early"),
])
def test_problems_in_the_file_are_named(text: str, message: str) -> None:
    _, errors = parse_exercises(text)
    assert any(message in e.message for e in errors), [e.message for e in errors]


def test_the_command_exits_2_on_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    path.write_text("item A: x +\nitem B: x\nitem C: x\n", encoding="utf-8")
    result = runner.invoke(app, ["order", str(path)])
    assert result.exit_code == 2 and "line 1" in result.stdout
    missing = runner.invoke(app, ["order", str(tmp_path / "none.txt")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.output


def test_an_answer_line_in_a_students_file() -> None:
    assert parse_answer("My order:\n\nanswer: C, A → B  # sure\n") == (("C", "A", "B"), 3)
    assert parse_answer("no answer here\n") is None
