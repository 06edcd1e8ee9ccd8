"""The error catalogue of the .pgv front end: a lark parse error worded for a person, with a caret line."""

from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ... import model as m
from .lines import RELATIONS, LogicalLine


class ParseFailure(Exception):
    """A logical line that could not be read; carries the worded message."""

    def __init__(self, issue: m.SyntaxIssue):
        super().__init__(issue.message)
        self.issue = issue



_TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['",
    "RBRACE": "'}'", "LBRACE": "'{'", "REL": "a relation (=, ≈, ≤, ≥, <, >, ∝)", "BY": "'by'", "COMMA": "','",
    "PLUS": "'+'", "MINUS": "'-'", "SLASH": "'/'", "MULOP": "'*'", "CIRCUMFLEX": "'^'", "TILDE": "'~'",
    "COND": "'|'", "CALL_LPAR": "'('", "RULE_WORDS": "a rule name", "STRING": "a quoted text",
    "COLONEQ": "':='", "COLON": "':'", "DPARAM": "'∂θ' (the parameter)", "LEMMA_NAME": "a lemma name",
    "PREFIX": "log/exp", "DECO_NAME": "a name", "DERIV": "'∂/∂θ'", "PARTIAL": "'∂'", "DFRAC": "'d'",
    "SIZE": "'|D|'", "GRAD": "'∇_θ'", "BIGOP": "sum/prod", "EXPECT": "'E_{'", "EQUAL": "'='",
    "IN": "'∈'", "ON": "'on'", "UNDERSCORE": "'_'", "PLACEHOLDER": "'·'", "$END": "the end of the line",
}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def describe(err: UnexpectedInput, logical: LogicalLine) -> m.SyntaxIssue:
    text = logical.text
    pos = getattr(err, "pos_in_stream", None)
    if isinstance(err, UnexpectedEOF) or pos is None:
        pos = len(text.rstrip())
    pos = min(pos, len(text))
    line_in, column = _line_col(text, pos)
    line = logical.line + line_in - 1
    span = m.Span(line, column, line, column + 1)
    found = _found_text(err, text, pos)
    at_end = isinstance(err, UnexpectedToken) and err.token.type == "$END" or isinstance(err, UnexpectedEOF)
    opener = _unclosed(text if at_end else text[:pos])
    if at_end:
        if opener is not None:
            oline, ocol = _line_col(text, opener[1])
            message = (f"'{opener[0]}' opened at line {logical.line + oline - 1}, column {ocol} is never closed;"
                       f" expected '{_CLOSERS[opener[0]]}'")
        else:
            message = "the line ends too early: " + _expected_words(err)
    elif found in ")]}" and found and opener is None:
        message = f"'{found}' closes a bracket that was never opened"
    elif isinstance(err, UnexpectedCharacters) and found:
        message = f"unexpected character '{found}': " + _expected_words(err)
    else:
        message = f"unexpected '{found}': " + _expected_words(err)
    message = _hint(text, pos, found, message)
    if not at_end and opener is not None and _CLOSERS[opener[0]] in message and "never closed" not in message:
        oline, ocol = _line_col(text, opener[1])
        message += (f" ('{opener[0]}' opened at line {logical.line + oline - 1}, column {ocol} is never closed)")
    return m.SyntaxIssue(span, message, caret(text, pos))


def _found_text(err: UnexpectedInput, text: str, pos: int) -> str:
    if isinstance(err, UnexpectedToken):
        if err.token.type == "$END":
            return ""
        if err.token.type in ("RULE_WORDS", "LEMMA_NAME"):  # catch-all tokens: show the first word only
            return str(err.token).split()[0] if str(err.token).split() else str(err.token)
        return str(err.token)
    return text[pos:pos + 1]


def _expected_words(err: UnexpectedInput) -> str:
    names: set[str] = set()
    if isinstance(err, UnexpectedToken):
        names = set(err.accepts or err.expected)
    elif isinstance(err, UnexpectedCharacters):
        names = set(err.allowed or ())
    elif isinstance(err, UnexpectedEOF):
        names = set(err.expected)
    if {"USE", "PARAM", "DERIVATION", "REL"} <= names:
        return ("expected a statement (use, param, dist, fun, depends, def, derivation, goal, lemma, claim),"
                " an expression that starts a chain, or a step that starts with a relation (=, ≈, …)")
    words = sorted({_TERMINAL_WORDS.get(n, n.lower().replace("_", " ")) for n in names if not n.startswith("__")})
    starters = {"a name", "a number", "'('", "log/exp", "'∇_θ'", "sum/prod"}
    if starters <= set(words):
        words = ["an expression"] + [w for w in words if w not in starters and w not in
                                     {"'['", "'E_{'", "'-'", "'+'", "'∂'", "'∂/∂θ'", "'d'", "'|D|'"}]
    if not words:
        return "the line cannot be read from here"
    if len(words) > 6:
        words = words[:6] + ["…"]
    return "expected " + ", ".join(words)


def _hint(text: str, pos: int, found: str, message: str) -> str:
    """Add a word of advice for common slips."""
    before = text[:pos].rstrip()
    if re.search(r"(E|𝔼)_\{[^}~∼]*$", before) and found in ("}", "]"):
        return "an expectation needs its distribution: write E_{x ~ p}[ … ]"
    if re.search(r"(sum|prod|Σ|∑|Π|∏)$", before):
        return "a big operator needs its index: write sum_t …, sum_{t=0}^{T-1} … or sum_{x} …"
    if found == "=" and re.search(r"(sum|prod|Σ|∑|Π|∏)_\w+$", before):
        return "write bounds in braces: sum_{t=0}^{T-1} …"
    if found in RELATIONS and not re.match(r"\s*(~=|<=|>=|=|≈|≤|≥|∝|<|>|claim|goal|lemma|def)", text):
        return (f"unexpected '{found}': a relation starts a step on its own line (after the chain's first"
                " expression); for a one-line step write `claim A = B`")
    if before.endswith(("by", "by ")):
        return "a justification needs a rule name after 'by' (see `pgverify rules`)"
    return message


def _unclosed(text: str) -> tuple[str, int] | None:
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if ch in "([{":
            stack.append((ch, i))
        elif ch in ")]}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def caret(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    source = text[start:end].rstrip()
    return source + "\n" + " " * (pos - start) + "^"
