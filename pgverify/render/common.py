"""What several output formats decide the same way: which faults are consequences of a syntax error.

A line that does not parse is reported once, as a syntax error.  The checker
still keeps its place in the chain as an ``unknown`` step (so the step counts
stay true), and the step after it is ``unknown`` too, having nothing to relate
to; a goal through that chain is then not reached.  Those are the syntax
error's consequences, not faults of their own: the CI formats (github, sarif,
junit, markdown) leave them out, so one syntax error gives one annotation.
"""

from __future__ import annotations

from ..results import UNKNOWN, DerivationResult, FileResult, StepResult


def blocked_by_syntax_error(f: FileResult, s: StepResult) -> bool:
    """An unknown step whose line, or the line before it, could not be read (the file has a syntax error)."""
    # The checker fills both sides of every step it could read; a side is empty only when its line did not parse.
    return bool(f.errors) and s.verdict == UNKNOWN and (not s.lhs or not s.rhs)


def blocked_derivation(f: FileResult, d: DerivationResult) -> bool:
    """A derivation whose chain is broken by a syntax error (its goal cannot be judged)."""
    return any(blocked_by_syntax_error(f, s) for s in d.steps)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 step``, ``2 steps``; ``many`` for an irregular plural."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
