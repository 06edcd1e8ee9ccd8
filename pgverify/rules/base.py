"""The two record types of the catalogue: :class:`Rule` and :class:`Misconception`.

Both are plain frozen data. The catalogue says what a rule is called, what it
states, when it applies and how it is taught; what a rule *does* to an
expression is the checker's business, so nothing here imports sympy.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A named step that a derivation may cite with ``by name``.

    Attributes:
        name: canonical kebab-case name; stable, never renamed (add an alias
            instead).
        aliases: other spellings and phrases that cite the same rule; matched
            case- and punctuation-insensitively (see ``normalize_rule_text``).
        family: the catalogue module the rule lives in (``"logs"``, ``"score"`` …).
        statement: ``"LHS -> RHS"`` in ``.pgv`` syntax, several forms separated
            by ``;``.
        conditions: side conditions in words, shown in reports as a ledger.
        purpose: why the step matters in a policy-gradient derivation.
        valid_example: a complete ``.pgv`` file whose steps are all valid and
            cite this rule.
        flawed_example: a complete ``.pgv`` file with exactly one false step
            that cites this rule.
    """

    name: str
    aliases: tuple[str, ...]
    family: str
    statement: str
    conditions: tuple[str, ...]
    purpose: str
    valid_example: str
    flawed_example: str


@dataclass(frozen=True)
class Misconception:
    """A recognisable way of getting a step wrong, as an instructor names it.

    Attributes:
        name: stable kebab-case name.
        title: one line an instructor would say about the wrong step.
        hint: one sentence pointing to the fix without stating the corrected
            expression.
        rules: canonical names of the rules this is a misuse of.
        example: a complete small ``.pgv`` file with one flawed step.
    """

    name: str
    title: str
    hint: str
    rules: tuple[str, ...]
    example: str


def pgv(text: str) -> str:
    """Return ``.pgv`` source written indented inside Python code, dedented.

    The result has no leading blank line and ends with exactly one newline, so
    every example in the catalogue is a well-formed file.
    """
    return textwrap.dedent(text).strip() + "\n"
