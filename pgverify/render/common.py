"""What several output formats decide the same way: which faults are consequences of a syntax error.

A line that does not parse is reported once, as a syntax error.  The checker
still keeps its place in the chain as an ``unknown`` step (so the step counts
stay true), and the step after it is ``unknown`` too, having nothing to relate
to; a goal through that chain is then not reached.  Those are the syntax
error's consequences, not faults of their own: the CI formats (github, sarif,
junit, markdown) leave them out, so one syntax error gives one annotation.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from typing import Any

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


# Characters that would act on a terminal or a viewer instead of showing: C0 and C1 controls (ESC starts the
# sequences that move the cursor or erase a line), DEL, and the bidirectional controls that reorder text
# ("Trojan source").  A line feed and a tab stay as they are.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """``text`` with each control character written as a visible escape (``\\x1b``, ``\\u202e``)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda match: _escape(match.group()), text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(report: Any) -> Any:
    """A copy of a report with :func:`escape_controls` applied to every string in it (the report given is
    left as it is, for the other formats of the same run).

    Renderers that print user text (terminal, Markdown, JUnit, SARIF, GitHub annotations) call this once on
    what they are given, so no field can be forgotten.  The faults a report silences are keyed by the identity
    of their step or derivation: the keys follow the copies."""
    memo: dict[int, Any] = {}
    clone = _printable(report, memo)
    silenced = getattr(report, "silenced", None)
    if isinstance(silenced, dict):
        object.__setattr__(clone, "silenced", {(id(memo[key[0]]) if key[0] in memo else key[0], *key[1:]): why
                                               for key, why in silenced.items()})
    whole = getattr(report, "whole", None)
    if whole is not None:
        object.__setattr__(clone, "whole", whole)   # the summary's counts: no user text
    return clone


def printable_record(value: Any) -> Any:
    """A copy of plain data (a grade record: dicts, lists, strings) with every string escaped."""
    return _printable(value, {})


def _printable(value: Any, memo: dict[int, Any]) -> Any:
    if isinstance(value, str):
        return escape_controls(value)
    if isinstance(value, list):
        return [_printable(v, memo) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_printable(v, memo) for v in value)
    if isinstance(value, dict):
        return {_printable(k, memo): _printable(v, memo) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if id(value) in memo:
            return memo[id(value)]
        clone = copy.copy(value)
        memo[id(value)] = clone
        for f in dataclasses.fields(value):
            if hasattr(value, f.name) and f.name not in ("whole", "silenced"):
                object.__setattr__(clone, f.name, _printable(getattr(value, f.name), memo))
        return clone
    return value


def show_number(value: Any) -> str:
    """A value of a counterexample: a float to 6 significant digits; an integer too large for a float by its
    magnitude; text as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) and abs(value) >= 10 ** 15:
        exponent = math.log10(abs(value))
        return f"{'-' if value < 0 else ''}{10 ** (exponent % 1):.5f}e+{int(exponent)}"
    return f"{value:.6g}"
