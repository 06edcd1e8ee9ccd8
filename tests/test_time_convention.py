"""Where a trajectory's time starts and ends: models that follow the layout, and notes that say which.

Notes that count time from 1 (``τ = (s_1, a_1, …, s_T, a_T)``) or run to ``a_T`` from 0 get a trajectory
of their own layout, learned from the document; a file whose evidence conflicts has each step decided
under every layout it leaves open (valid only if valid under all, refuted only if refuted under all).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pgverify
from pgverify import model as m
from pgverify.checker import Options, check_source
from pgverify.falsify.models import Shape, Traj, Unsupported
from pgverify.readers import ReadOptions, read_with_skips
from pgverify.readers.time_convention import CONVENTIONS, Convention, learn, tuple_evidence
from pgverify.syntax import parse_source

FROM_ONE, TO_T = Convention(1, "T"), Convention(0, "T")


def verdicts_of_notes(tmp_path: Path, text: str, name: str = "notes.md") -> list[tuple[int, str, str]]:
    """(line, verdict, message) of every step of a notes file."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    source, _ = read_with_skips(path, ReadOptions())
    result = check_source(source, Options())
    assert not result.errors, [e.message for e in result.errors]
    return [(s.line, s.verdict, s.message) for d in result.derivations for s in d.steps]


def verdicts_of_pgv(text: str) -> list[str]:
    result = pgverify.check_text(text, "layout.pgv")
    assert not result.errors, [e.message for e in result.errors]
    return [s.verdict for d in result.derivations for s in d.steps]


def expressions(*lines: str) -> list[m.Expr]:
    """The step expressions of a few lines of the language (``use rl``)."""
    text = "use rl\n" + "".join(f'derivation "d{k}"\n  {line}\n  = 0\n' for k, line in enumerate(lines))
    source = parse_source(text, "<test>")
    assert not source.errors
    return [d.steps[0].previous for d in source.derivations]


# --------------------------------------------------------------------------- the models


def test_a_trajectory_from_time_one_has_no_state_zero() -> None:
    traj = Traj((0, 1, 1), (1, 0), start=1)
    assert traj.component("states", 1) == 0 and traj.component("states", 3) == 1
    assert traj.component("actions", 2) == 0
    with pytest.raises(Unsupported, match="no s_0"):
        traj.component("states", 0)
    with pytest.raises(Unsupported, match="no a_3"):
        traj.component("actions", 3)
    assert traj.with_component("states", 2, 0) == Traj((0, 0, 1), (1, 0), start=1)
    assert traj.with_component("states", 0, 0) is None


def test_the_shape_of_a_trajectory_is_read_off_the_times_its_distribution_weighs() -> None:
    assert Shape.read_off([0, 1, 2], [0, 1], 2) == Shape(0, 3, 2)        # the default layout
    assert Shape.read_off([1, 2, 3], [1, 2], 2) == Shape(1, 3, 2)        # counted from one
    assert Shape.read_off([], [], 4) == Shape(0, 5, 4)
    every = Shape(1, 2, 1).trajectories(2, 3)
    assert len(every) == 2 ** 2 * 3 and all(t.start == 1 for t in every) and len(set(every)) == len(every)


def test_a_pgv_definition_counting_from_one_gives_normalized_trajectories() -> None:
    # the definition weighs s_1 … s_{T+1} and a_1 … a_T only: an unweighted s_0 would make the sum 4
    text = ("use rl\ndef P(τ | θ) = ρ0(s_1) prod_{t=1}^{T} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)\n"
            'derivation "one"\n  sum_τ P(τ | θ)\n  = 1\n'
            'derivation "score"\n  ∇_θ log P(τ | θ)\n  = sum_{t=1}^{T} ∇_θ log π_θ(a_t | s_t)\n'
            'derivation "short"\n  ∇_θ log P(τ | θ)\n  = sum_{t=1}^{T-1} ∇_θ log π_θ(a_t | s_t)\n'
            'derivation "every step"\n  ∇_θ log P(τ | θ)\n  = sum_t ∇_θ log π_θ(a_t | s_t)\n'
            'derivation "no such time"\n  E_{τ ~ π_θ}[r(s_0, a_0)]\n  = sum_s ρ0(s) r(s, a_0)\n')
    verdicts = verdicts_of_pgv(text)
    assert verdicts[0] in ("proved", "checked") and verdicts[1] == "proved" and verdicts[2] == "refuted"
    assert verdicts[3] in ("proved", "checked")
    assert verdicts[4] == "unknown"          # s_0 does not exist in this layout: never a guess


def test_the_default_layout_is_unchanged() -> None:
    text = ('use rl\nderivation "one"\n  sum_τ Pr_θ(τ)\n  = 1\n'
            'derivation "first"\n  E_{τ ~ π_θ}[r(s_0, a_0)]\n  = E_{s ~ ρ0}[E_{a ~ π_θ(·|s)}[r(s, a)]]\n'
            'derivation "shifted"\n  ∇_θ log Pr_θ(τ)\n  = sum_{t=1}^{T} ∇_θ log π_θ(a_t | s_t)\n')
    verdicts = verdicts_of_pgv(text)
    assert verdicts[0] in ("proved", "checked") and verdicts[1] in ("proved", "checked")
    assert verdicts[2] == "refuted"


# --------------------------------------------------------------------------- the evidence


def test_the_evidence_of_a_document_decides_its_layout() -> None:
    assert learn(expressions("log ρ(s_1)")).open == (FROM_ONE,)
    assert learn(expressions("sum_{t=1}^{T} log π_θ(a_t | s_t)")).open == (FROM_ONE,)
    assert learn(expressions("sum_{t=0}^{T} log π_θ(a_t | s_t)")).open == (TO_T,)
    assert learn(expressions("r(s_{T+1}, a_0)")).open == (TO_T,)
    assert learn(expressions("sum_{t=0}^{T-1} log π_θ(a_t | s_t)", "log ρ0(s_0)")).open == (CONVENTIONS[0],)
    # nothing said: the language's default; only where time starts said: the default end for that start
    assert learn(expressions("log π_θ(a | s)")).open == (CONVENTIONS[0],)
    assert learn(expressions("log ρ0(s_0)")).open == (CONVENTIONS[0],)


def test_bounds_that_fit_no_layout_are_a_slip_not_evidence() -> None:
    learned = learn(expressions("log p(s_1)", "sum_{t=1}^{T-1} log π_θ(a_t | s_t)"))
    assert learned.open == (FROM_ONE,) and learned.initial == "p"


def test_conflicting_evidence_leaves_every_layout_it_allows_open() -> None:
    learned = learn(expressions("sum_{t=0}^{T-1} log π_θ(a_t | s_t)", "sum_{t=1}^{T} log π_θ(a_t | s_t)"))
    assert set(learned.open) == {CONVENTIONS[0], FROM_ONE} and "conflict" in learned.reason


def test_a_tuple_definition_of_tau_is_evidence() -> None:
    fits = [e.fits for e in tuple_evidence(r"\tau = (s_1, a_1, \ldots, s_T, a_T)")]
    assert set.intersection(*map(set, fits)) == {FROM_ONE}
    fits = [e.fits for e in tuple_evidence(r"\tau = (s_0, a_0, s_1, \ldots, a_T, s_{T+1})")]
    assert set.intersection(*map(set, fits)) == {TO_T}
    fits = [e.fits for e in tuple_evidence(r"\tau = (s_0, a_0, \ldots, a_{T-1}, s_T)")]
    assert set.intersection(*map(set, fits)) == {CONVENTIONS[0]}


# --------------------------------------------------------------------------- notes, end to end


LEVINE = r"""# Counting from one

$$\log p_\theta(\tau) = \log \rho(s_1) + \sum_{t=1}^{T} \left( \log \pi_\theta(a_t|s_t) + \log P(s_{t+1}|s_t,a_t) \right)$$

and

$$\nabla_\theta \log p_\theta(\tau) = \sum_{t=1}^{T} \nabla_\theta \log \pi_\theta(a_t|s_t)$$
"""


def test_notes_that_count_from_one_have_their_correct_steps_accepted(tmp_path: Path) -> None:
    got = verdicts_of_notes(tmp_path, LEVINE)
    assert [v for _, v, _ in got] == ["proved", "proved"]


@pytest.mark.parametrize("wrong", [
    r"\sum_{t=1}^{T-1} \nabla_\theta \log \pi_\theta(a_t|s_t)",
    r"\sum_{t=1}^{T} \left( \nabla_\theta \log \pi_\theta(a_t|s_t) + \log P(s_{t+1}|s_t,a_t) \right)",
    r"\sum_{t=1}^{T} \nabla_\theta \log P(s_{t+1}|s_t,a_t)",
])
def test_a_wrong_step_under_the_notes_layout_is_still_refuted(tmp_path: Path, wrong: str) -> None:
    text = LEVINE.replace(r"\sum_{t=1}^{T} \nabla_\theta \log \pi_\theta(a_t|s_t)", wrong)
    got = verdicts_of_notes(tmp_path, text)
    assert [v for _, v, _ in got] == ["proved", "refuted"]


def test_a_tuple_alone_gives_the_layout(tmp_path: Path) -> None:
    # E[f(s_1)] is the initial state's mean only when time starts at 1: the step carries no evidence itself
    text = (r"A trajectory is $\tau = (s_1, a_1, \ldots, s_T, a_T)$." "\n\n"
            r"$$\mathbb{E}_{\tau \sim p_\theta(\tau)}[f(s_1)] = \sum_{s} \rho_0(s) f(s)$$" "\n")
    assert [v for _, v, _ in verdicts_of_notes(tmp_path, text)] == ["checked"]
    assert [v for _, v, _ in verdicts_of_notes(tmp_path, text.split("\n\n", 1)[1], "bare.md")] == ["refuted"]


def test_conflicting_notes_leave_a_layout_dependent_step_unknown_with_a_way_out(tmp_path: Path) -> None:
    text = (r"$$\log p_\theta(\tau) = \log \rho_0(s_0) + \sum_{t=0}^{T-1} \left( \log \pi_\theta(a_t|s_t)"
            r" + \log P(s_{t+1}|s_t,a_t) \right)$$" "\n\n## Elsewhere\n\n" + LEVINE.split("and\n\n")[1])
    got = verdicts_of_notes(tmp_path, text)
    assert [v for _, v, _ in got] == ["unknown", "unknown"]
    assert all("Define τ" in message and "conflict" in message for _, _, message in got)


def test_a_definition_of_the_trajectory_distribution_counting_from_one_is_normalized(tmp_path: Path) -> None:
    # the notes' own ρ is a distribution over states: the trajectories' probabilities add up to one
    text = (r"The trajectory distribution is" "\n\n"
            r"$$p_\theta(\tau) = \rho(s_1) \prod_{t=1}^{T} \pi_\theta(a_t|s_t) P(s_{t+1}|s_t,a_t)$$" "\n\n"
            r"# Check" "\n\n" r"$$\sum_\tau p_\theta(\tau) = 1$$" "\n\n"
            r"$$\sum_\tau p_\theta(\tau) = 2$$" "\n")
    got = verdicts_of_notes(tmp_path, text)
    assert [v for _, v, _ in got] == ["checked", "refuted"]
