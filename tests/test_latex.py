"""The LaTeX front end: each construct of RL notes reads into the same tree as the .pgv spelling."""

from __future__ import annotations

import pytest

from pgverify.syntax import latex
from pgverify import model as m
from pgverify.syntax import parse_expression as parse_pgv

# (LaTeX as written in notes, the same math in the .pgv language)
SAME_AS_PGV = [
    # gradients
    (r"\nabla_{\theta} \log \pi_\theta(a_t \mid s_t)", "∇_θ log π_θ(a_t | s_t)"),
    (r"\nabla_\theta \log \pi_{\theta}(a_t | s_t)", "∇_θ log π_θ(a_t | s_t)"),
    (r"\nabla_\theta J(\pi_\theta)", "∇_θ J(π_θ)"),
    (r"\partial_\theta \log \Pr_\theta(\tau)", "∇_θ log Pr_θ(τ)"),
    (r"\frac{\partial \log \Pr_\theta(\tau)}{\partial \theta}", "∂ log Pr_θ(τ) / ∂θ"),
    (r"\frac{\partial}{\partial\theta} \log \pi_\theta(a|s) R(\tau)", "∂/∂θ log π_θ(a|s) R(τ)"),
    (r"\frac{d}{d\theta} J(\theta)", "d/dθ J(θ)"),
    (r"\frac{\mathrm{d}}{\mathrm{d}\theta} J(\theta)", "d/dθ J(θ)"),
    (r"\frac{d J(\theta)}{d\theta}", "d J(θ) / dθ"),
    # log, ln, exp, a plain `log`
    (r"\log x + \ln y + \exp(z)", "log x + log y + exp(z)"),
    (r"\nabla_\theta log \pi_\theta(a|s)", "∇_θ log π_θ(a|s)"),
    (r"e^{-x}", "exp(-x)"),
    (r"\sqrt{x}", "sqrt(x)"),
    # fractions
    (r"\frac{1}{N} \sum_{i=1}^{N} R(\tau_i)", "(1/N) sum_{i=1}^{N} R(τ_i)"),
    (r"\dfrac{a}{b} + \tfrac{1}{2}", "a/b + 1/2"),
    (r"\frac12 x", "(1/2) x"),
    (r"-\frac{1}{2} x^2", "-(1/2) x^2"),
    # big operators, bounds, \limits, integrals with their differential
    (r"\sum_{t=0}^{T-1} \nabla_\theta \log \pi_\theta(a_t|s_t) R(\tau) + c",
     "sum_{t=0}^{T-1} ∇_θ log π_θ(a_t|s_t) R(τ) + c"),
    (r"\sum\limits_{t=0}^{T} x_t", "sum_{t=0}^{T} x_t"),
    (r"\sum^{T}_{t=0} x_t", "sum_{t=0}^{T} x_t"),
    (r"\sum_t x_t", "sum_t x_t"),
    (r"\sum_{\tau} P(\tau|\theta) R(\tau)", "sum_τ P(τ|θ) R(τ)"),
    (r"\prod_{t=0}^{T-1} \pi_\theta(a_t|s_t) P(s_{t+1}|s_t, a_t)", "prod_{t=0}^{T-1} π_θ(a_t|s_t) P(s_{t+1}|s_t, a_t)"),
    (r"\int_{\tau} P(\tau|\theta) R(\tau)", "int_τ P(τ|θ) R(τ)"),
    (r"\int_\tau P(\tau|\theta) R(\tau) \, d\tau", "int_τ P(τ|θ) R(τ) dτ"),
    (r"\int P(\tau|\theta) R(\tau) \,\mathrm{d}\tau", "int_τ P(τ|θ) R(τ)"),
    (r"\int_x q(x) \, dx", "int_x q(x)"),
    (r"\frac{1}{|\mathcal{D}|} \sum_{\tau \in \mathcal{D}} R(\tau)", "1/|D| sum_{τ ∈ D} R(τ)"),
    # expectations
    (r"\mathbb{E}_{\tau \sim \pi_\theta}\left[ R(\tau) \right]", "E_{τ ~ π_θ}[R(τ)]"),
    (r"\mathbb{E}_{\tau\sim\pi_{\theta}}\Big[ \sum_{t=0}^{T} R(\tau) \Big]", "E_{τ ~ π_θ}[sum_{t=0}^{T} R(τ)]"),
    (r"\underset{\tau \sim \pi_\theta}{\mathbb{E}}[R(\tau)]", "E_{τ ~ π_θ}[R(τ)]"),
    (r"\underset{\begin{subarray}{c}\tau \sim \pi_\theta\end{subarray}}{\mathbb{E}}\left[R(\tau)\right]",
     "E_{τ ~ π_θ}[R(τ)]"),
    (r"\mathop{\mathbb{E}}_{\tau \sim \pi_\theta}[R(\tau)]", "E_{τ ~ π_θ}[R(τ)]"),
    (r"E_{x \sim p}[f(x)]", "E_{x ~ p}[f(x)]"),
    (r"\mathbb{E}_{a \sim \pi_\theta(\cdot|s)}\left[\nabla_\theta \log \pi_\theta(a|s)\right]",
     "E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a|s)]"),
    # calls, conditionals, the spellings of the trajectory distribution
    (r"\pi_{\theta}(a_t | s_t)", "π_θ(a_t | s_t)"),
    (r"\pi_\theta(a_t \vert s_t)", "π_θ(a_t | s_t)"),
    (r"\pi_\theta\left(a_t \middle| s_t\right)", "π_θ(a_t | s_t)"),
    (r"\Pr_\theta(\tau)", "Pr_θ(τ)"),
    (r"P(\tau; \theta)", "P(τ; θ)"),
    (r"\rho_0 (s_0)", "ρ0(s_0)"),
    (r"\rho_0(s_0)", "ρ_0(s_0)"),
    (r"Q^{\pi}(s, a) - V^\pi(s)", "Q^π(s, a) - V^π(s)"),
    # names
    (r"\mathcal{D}", "D"),
    (r"s_{t+1}", "s_{t+1}"),
    (r"a_{i,t}", "a_{i,t}"),
    (r"x^{(i)}", "x^{(i)}"),
    (r"s_t^{(i)}", "s_t^{(i)}"),
    (r"s'", "s'"),
    (r"s^{\prime}", "s'"),
    (r"\pi_{\text{old}}(a|s)", "π_old(a|s)"),
    (r"\pi_{ref}(a|s)", "π_ref(a|s)"),
    (r"\hat{A}_t", "Â_t"),
    (r"\tilde{A}", "Ã"),
    (r"\boldsymbol{\theta}", "θ"),
    # products, powers
    (r"a \cdot b \times c", "a * b * c"),
    (r"\gamma^{t'-t} r_{t'}", "γ^(t'-t) r_{t'}"),
    (r"\gamma (r + V(s'))", "γ (r + V(s'))"),
    (r"(a + b)^2", "(a + b)^2"),
    # sizing and spacing
    (r"\big( a \big) \Big[ b \Big] \bigg( c \bigg) \Bigg( d \Bigg) \left\{ e \right\}", "a b c d e"),
    (r"a \, b \; c \! d \quad e \qquad f \: g ~ h", "a b c d e f g h"),
    # dropped
    (r"a \label{eq:1} \nonumber", "a"),
    (r"a \notag \tag{3}", "a"),
    (r"{\color{red} a} + \textcolor{blue}{b}", "a + b"),
    # \cancel: the author claims the term vanishes
    (r"\cancel{\nabla_\theta \log \rho_0(s_0)} + x", "0 + x"),
    (r"\cancelto{0}{y} + x", "0 + x"),
]


@pytest.mark.parametrize(("tex", "pgv"), SAME_AS_PGV, ids=[t for t, _ in SAME_AS_PGV])
def test_latex_reads_as_the_pgv_spelling(tex: str, pgv: str) -> None:
    got = latex.parse_expression(tex)
    want = parse_pgv(pgv)
    assert m.show(got) == m.show(want)
    assert got == want


def test_a_fraction_is_one_factor() -> None:
    # \frac is atomic in LaTeX, unlike the .pgv `/`
    assert m.show(latex.parse_expression(r"\frac{1}{2} x")) == "1/2 x"


def test_names_are_the_pgv_names() -> None:
    assert latex.parse_expression(r"\pi_\theta") == m.Name("π", (m.Name("θ"),))
    assert latex.parse_expression(r"\rho_0").key() == "ρ_0"
    assert latex.parse_expression(r"\hat{A}") != latex.parse_expression("A")
    assert latex.parse_expression(r"\Pr_\theta").key() == "Pr_θ"


# ----------------------------------------------------------------------------- rows and blocks


def steps(text: str, macros: str = "") -> list[tuple[int, str, str, str, str | None]]:
    result = latex.read_math(text, macros)
    assert not result.errors, result.errors
    return [(s.span.line, m.show(s.previous) if s.previous else "?", s.relation, m.show(s.expr) if s.expr else "?",
             s.justification.text if s.justification else None) for s in result.steps]


def test_rows_split_at_double_backslash_and_relations_after_ampersand() -> None:
    text = "\\begin{align*}\na &= b \\\\\n  &\\approx c \\\\\n  &\\propto d\n\\end{align*}"
    assert steps(text) == [(2, "a", "=", "b", None), (3, "b", "≈", "c", None), (4, "c", "∝", "d", None)]


def test_relation_before_the_ampersand() -> None:
    assert steps("$$ a =& b \\\\ =& c $$") == [(1, "a", "=", "b", None), (1, "b", "=", "c", None)]


def test_a_row_without_relation_continues_the_row_before() -> None:
    text = "$$\nx &= y + z \\\\\n  &\\quad + w \\\\\n  &= v\n$$"
    assert steps(text) == [(2, "x", "=", "y + z + w", None), (4, "y + z + w", "=", "v", None)]


def test_the_first_row_alone_starts_the_chain() -> None:
    text = "$$\n\\nabla_\\theta J(\\theta) \\\\\n= \\mathbb{E}_{\\tau \\sim \\pi_\\theta}[R(\\tau)]\n$$"
    assert steps(text) == [(3, "∇_θ J(θ)", "=", "E_{τ ~ π_θ}[R(τ)]", None)]


def test_lines_are_counted_in_a_dollar_block() -> None:
    text = "$$\n\\nabla_\\theta J\n  = x \\\\\n  = y\n$$"
    assert [s[0] for s in steps(text)] == [3, 4]


@pytest.mark.parametrize("row", [
    r"a &= b & \text{by linearity}",
    r"a &= b && \text{linearity}",
    r"a &= b \quad \text{(linearity)}",
    r"a &= b \qquad (\text{linearity})",
    r"a &= b && {\scriptstyle \text{(linearity)}}",
    r"a &= b \quad {\color{gray} \text{linearity}}",
    r"a &= b. \quad \text{linearity}",
    "a &= b % by linearity",
])
def test_justification_forms(row: str) -> None:
    assert steps("$$ " + row + "\n$$") == [(1, "a", "=", "b", "linearity")]


def test_text_over_a_relation_is_a_justification() -> None:
    assert steps(r"$$ a \stackrel{\text{by parts}}{=} b \overset{(a)}{\approx} c $$") == [
        (1, "a", "=", "b", "parts"), (1, "b", "≈", "c", None)]


def test_def_over_an_equals_sign_marks_a_definition_not_a_justification() -> None:
    assert steps(r"$$ a \stackrel{\text{def}}{=} b $$") == [(1, "a", "=", "b", None)]
    assert latex.read_math(r"$$ a \stackrel{\text{def}}{=} b = c $$").spellings == ("stackrel:def", "=")


def test_therefore_checks_the_right_side_against_the_line_before() -> None:
    text = "$$ a &= b \\\\\n &= c \\\\\n \\therefore a &= d $$"
    assert steps(text) == [(1, "a", "=", "b", None), (2, "b", "=", "c", None), (3, "c", "=", "d", None)]


def test_implies_states_a_new_claim() -> None:
    text = "$$ a &= b \\\\\n \\implies c &= d \\\\\n \\Rightarrow e &= f $$"
    assert steps(text) == [(1, "a", "=", "b", None), (2, "c", "=", "d", None), (3, "e", "=", "f", None)]


def test_cancel_puts_zero_in_place_of_the_cancelled_term() -> None:
    text = r"$$ \nabla_\theta \log P(\tau|\theta) &= \cancel{\nabla_\theta \log \rho_0(s_0)} + x $$"
    assert steps(text) == [(1, "∇_θ log P(τ | θ)", "=", "0 + x", None)]


def test_a_row_with_its_own_left_side_starts_a_new_chain() -> None:
    text = "$$ a &= b \\\\\n c &= d $$"
    assert steps(text) == [(1, "a", "=", "b", None), (2, "c", "=", "d", None)]


def test_environments_and_delimiters() -> None:
    for wrapped in (r"\begin{align} a &= b \end{align}", r"\begin{equation}\begin{split} a &= b \end{split}\end{equation}",
                    r"\[ a = b \]", r"\begin{eqnarray*} a &=& b \end{eqnarray*}",
                    r"$$\begin{aligned}[t] a &= b \end{aligned}$$"):
        assert steps(wrapped) == [(1, "a", "=", "b", None)], wrapped


def test_macros_with_arguments_are_expanded() -> None:
    macros = (r"\newcommand{\underE}[2]{\underset{#1}{\mathbb{E}}\left[ #2 \right]}"
              r"\newcommand{\grad}{\nabla_{\theta}}"
              r"\def\gradlog#1{\grad \log #1}"
              r"\newcommand{\Exp}[2][\tau \sim \pi_\theta]{\mathbb{E}_{#1}[#2]}")
    text = r"$$ \grad \underE{\tau \sim \pi_\theta}{R(\tau)} = \gradlog{\pi_\theta(a|s)} = \Exp{R(\tau)} = \Exp[x \sim p]{f(x)} $$"
    assert [(prev, rhs) for _, prev, _, rhs, _ in steps(text, macros)] == [
        ("∇_θ E_{τ ~ π_θ}[R(τ)]", "∇_θ log π_θ(a | s)"),
        ("∇_θ log π_θ(a | s)", "E_{τ ~ π_θ}[R(τ)]"),
        ("E_{τ ~ π_θ}[R(τ)]", "E_{x ~ p}[f(x)]"),
    ]


def test_macros_defined_in_the_block_are_not_math() -> None:
    macros = latex.Macros.parse(r"\newcommand{\R}{R(\tau)}")
    assert m.show(latex.parse_expression(r"\R + 1", macros)) == "R(τ) + 1"


def test_a_recursive_macro_is_an_error_not_a_hang() -> None:
    result = latex.read_math(r"$$ a = \loop $$", r"\newcommand{\loop}{\loop x}")
    assert result.errors and "does not stop expanding" in result.errors[0].message


# ----------------------------------------------------------------------------- errors


def test_an_unknown_command_is_named_with_its_position() -> None:
    result = latex.read_math("$$\na &= b \\\\\n  &= c + \\dots\n$$")
    (error,) = result.errors
    assert error.message == "pgverify does not read '\\dots' in LaTeX math"
    assert (error.span.line, error.span.column) == (3, 10)
    assert error.context.endswith("\n         ^")
    # the broken row keeps its place as an unreadable step at its own line
    assert [(s.span.line, s.relation) for s in result.steps] == [(2, "="), (3, "?")]


def test_a_stray_partial_is_an_error() -> None:
    with pytest.raises(latex.LatexError, match="outside a derivative"):
        latex.parse_expression(r"\partial x")


def test_an_expectation_needs_its_distribution() -> None:
    with pytest.raises(latex.LatexError):
        latex.parse_expression(r"\mathbb{E}[R(\tau)]")


def test_an_integral_needs_its_variable() -> None:
    with pytest.raises(latex.LatexError, match="needs its index"):
        latex.parse_expression(r"\int f(x)")


# ----------------------------------------------------------------------------- the notation of real notes


SITE = (r"\newcommand{\E}{{\mathrm E}}"
        r"\newcommand{\underE}[2]{\underset{\begin{subarray}{c}#1\end{subarray}}{\E}\left[#2\right]}")


@pytest.mark.parametrize("text, left", [
    (r"\underE{x \sim q}{f(x)} = 0", "E_{x ~ q}[f(x)]"),
    (r"\underset{x \sim q}{\mathrm{E}}[f(x)] = 0", "E_{x ~ q}[f(x)]"),
    (r"\mathrm{E}_{x \sim q}[f(x)] = 0", "E_{x ~ q}[f(x)]"),
    (r"{\mathrm E}_{x \sim q}[f(x)] = 0", "E_{x ~ q}[f(x)]"),
    (r"\operatorname{E}_{x \sim q}[f(x)] = 0", "E_{x ~ q}[f(x)]"),
    (r"\mathbb{E}_{\tau \sim p_\theta(\tau)}[R(\tau)] = 0", "E_{τ ~ p_θ}[R(τ)]"),
    (r"\mathbb{E}_{a \sim \pi_\theta(a|s)}[f(a)] = 0", "E_{a ~ π_θ(· | s)}[f(a)]"),
    (r"\mathbb{E}_{(x, y) \sim \mathcal{D}}[f(x, y)] = 0", "E_{x, y ~ D}[f(x, y)]"),
    (r"\theta^* = 0", "θ_star"),
    (r"\textbf{w} = 0", "w"),
])
def test_notes_notation_reads_as_what_it_displays(text: str, left: str) -> None:
    assert steps("$$ " + text + " $$", SITE)[0][1] == left


def test_a_call_with_other_arguments_under_sim_is_left_as_written() -> None:
    assert steps(r"$$ \mathbb{E}_{x \sim p(y)}[f(x)] = 0 $$")[0][1] == "E_{x ~ p(y)}[f(x)]"


def test_a_block_starting_with_a_relation_continues_from_before() -> None:
    before = latex.parse_expression(r"x + x")
    result = latex.read_block("$$ = 2x $$", 0, 10, lambda i: (1, i + 1), latex.Macros(), before=before)
    assert result.continued and [m.show(s.previous) for s in result.steps] == ["x + x"]
    alone = latex.read_block("$$ y = 2x $$", 0, 12, lambda i: (1, i + 1), latex.Macros(), before=before)
    assert not alone.continued and m.show(alone.steps[0].previous) == "y"


@pytest.mark.parametrize("text, construct", [
    (r"\tau = (s_0, \ldots, s_T)", "ellipsis"), (r"\det A", "determinant"),
    (r"D_{\text{KL}}(p \| q)", "\\|"), (r"\begin{cases} 1 \end{cases}", "cases"),
    (r"f = \left(\begin{array}{cc} 1 & 0 \end{array}\right)", "array"),
])
def test_constructs_that_are_not_read_are_named(text: str, construct: str) -> None:
    from pgverify.syntax.latex.notation import construct_of

    assert construct in (construct_of(text) or "")
