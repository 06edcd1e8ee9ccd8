"""The rubric as arithmetic: a submission's tally of steps → its score, the fixed maximum and the breakdown.

With V valid steps (proved or checked), F refuted, U unknown, J valid steps
charged for their justification, G = 1 when the goal is reached (else 0), and
C, X, S the rules of ``must_cite`` not cited, the rules of ``must_not_cite``
cited and the ``required_steps`` missing::

    raw       = valid_step · min(V, max_steps)
              + faulty_step · F + unknown_step · U
              + justification_mismatch · J
              + goal_reached · G
              + missing_citation · C + forbidden_citation · X + missing_step · S
    max_score = [rubric] max_score, when the assignment sets it; else
                valid_step · max_steps + goal_reached          (a derivation)
                valid_step · min(L, max_steps) + goal_reached  (an ordering exercise of L + 1 items: L links)
    score     = min(max_score, max(0, raw))

Decisions:

* **max_score is a property of the assignment**, fixed once when it is read
  (:func:`fixed_maximum`) and the same for every student, whatever the length
  of their derivation and whether it was graded at all (a parse error, a time
  limit, a crash score 0 of the same maximum).  So scores of one class compare
  and a spreadsheet can divide by one number.  ``max_steps`` is "how many valid
  steps earn points": set it to the length of your own solution.  A derivation
  assignment whose valid steps earn points must set ``max_steps`` or
  ``max_score`` (without either, the only maximum would be each student's own
  length, which is what made it vary).  An ordering answer always has L links,
  so its maximum needs neither.
* **Clamped to [0, max_score].** A score is never negative: a submission full
  of faulty steps scores 0, like one that does not parse.  Nor does it exceed
  the maximum (possible only with an explicit ``max_score`` below what the
  steps and the goal earn).  The breakdown still shows every line, and the
  clamp as a last line when it applied.
* **max_steps** caps the steps that *earn* points (a long chain of trivial
  steps cannot outscore reaching the goal); faulty and unknown steps are
  charged wherever they are.  A correct derivation shorter than ``max_steps``
  scores below the maximum: each valid step is worth ``valid_step``.
* **Justification.**  The justification line applies to valid steps only (a
  refuted or unknown step is charged already): a valid step whose ``by`` is
  wrong (``mismatch``, ``unknown-rule``) is charged ``justification_mismatch``;
  with ``justification = "required"`` so is a valid step without ``by``.  Such
  a step still counts as valid: the mathematics is right, the write-up is not,
  and ``first_error`` stays about the mathematics.  ``unverified`` (no symbolic
  proof to judge the citation by) and ``unused`` (the cited rules produce the
  step, but some played no role) are not charged: neither shows the citation
  wrong, and which rules a proof used is read from the rewrites it applied;
  the feedback points an ``unused`` citation out.
* An ordering answer has no justification and no requirements: those lines
  are left out of its breakdown.  Its valid steps are its links that hold.
* Points are exact fractions (``0.1`` is one tenth); a whole number is
  reported as an integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the assignment module uses this one to fix max_score
    from .assignment import Rubric

VALID_VERDICTS = ("proved", "checked")
BAD_JUSTIFICATIONS = ("mismatch", "unknown-rule")


@dataclass(frozen=True)
class Tally:
    """What a submission is scored on."""

    steps: int = 0
    valid: int = 0
    faulty: int = 0
    unknown: int = 0
    badly_justified: int = 0
    goal_reached: bool = False
    missing_citations: tuple[str, ...] = ()
    forbidden_citations: tuple[str, ...] = ()
    missing_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    """One rubric line of the breakdown: how many times, how many points each, points in all."""

    label: str
    count: int
    each: Fraction
    points: Fraction


@dataclass(frozen=True)
class Score:
    total: Fraction
    maximum: Fraction
    raw: Fraction
    lines: tuple[Line, ...]


def tally_steps(steps: list[dict], rubric: Rubric) -> Tally:
    """Count the steps of a submission (step records as in ``check``) for the rubric."""
    valid = [s for s in steps if s["verdict"] in VALID_VERDICTS]
    badly = [s for s in valid if s.get("justification") in BAD_JUSTIFICATIONS
             or rubric.justification == "required" and not s.get("cited")]
    return Tally(steps=len(steps), valid=len(valid),
                 faulty=sum(1 for s in steps if s["verdict"] == "refuted"),
                 unknown=sum(1 for s in steps if s["verdict"] == "unknown"),
                 badly_justified=len(badly))


def score(tally: Tally, rubric: Rubric, with_requirements: bool = True, with_justification: bool = True) -> Score:
    """Apply the rubric (the formula of the module docstring); lines that cannot apply may be left out."""
    assert rubric.max_score is not None, "the assignment fixes max_score when it is read"
    cap = rubric.max_steps if rubric.max_steps is not None else tally.valid
    earning = min(tally.valid, cap)
    label = "valid steps" + (f" (at most {rubric.max_steps} earn points)" if tally.valid > cap else "")
    lines = [
        _line(label, earning, rubric.valid_step),
        _line("faulty steps", tally.faulty, rubric.faulty_step),
        _line("unknown steps", tally.unknown, rubric.unknown_step),
        _line("goal reached", int(tally.goal_reached), rubric.goal_reached),
    ]
    if with_justification:
        lines.insert(3, _line("justification missing or wrong", tally.badly_justified, rubric.justification_mismatch))
    if with_requirements:
        lines += [
            _line("required rules not cited", len(tally.missing_citations), rubric.missing_citation),
            _line("forbidden rules cited", len(tally.forbidden_citations), rubric.forbidden_citation),
            _line("required steps missing", len(tally.missing_steps), rubric.missing_step),
        ]
    raw = sum((line.points for line in lines), Fraction(0))
    maximum = rubric.max_score
    return Score(min(maximum, max(Fraction(0), raw)), maximum, raw, tuple(lines))


def fixed_maximum(rubric: Rubric, links: int | None = None) -> Fraction | None:
    """The max_score the rubric gives (the formula of the module docstring), ignoring an explicit one.

    ``links`` is the number of links of a full ordering answer (None for a derivation).  None when
    there is no fixed maximum: a derivation whose valid steps earn points without ``max_steps``.
    """
    earning = rubric.max_steps
    if links is not None:
        earning = links if earning is None else min(earning, links)
    step_points = max(Fraction(0), rubric.valid_step)
    if earning is None:
        if step_points:
            return None
        earning = 0
    return step_points * earning + max(Fraction(0), rubric.goal_reached)


def _line(label: str, count: int, each: Fraction) -> Line:
    return Line(label, count, each, each * count)


def number(value: Fraction) -> int | float:
    """A point value as JSON shows it: an integer when whole, else a float."""
    return int(value) if value.denominator == 1 else float(value)


def breakdown_records(result: Score) -> list[dict]:
    """The breakdown as JSON-ready records (the clamp as a last line when it applied)."""
    records = [{"line": line.label, "count": line.count, "points_each": number(line.each),
                "points": number(line.points)} for line in result.lines]
    if result.total != result.raw:
        label = "clamped at 0" if result.raw < 0 else "capped at max_score"
        records.append({"line": label, "count": 1, "points_each": number(result.total - result.raw),
                        "points": number(result.total - result.raw)})
    return records
