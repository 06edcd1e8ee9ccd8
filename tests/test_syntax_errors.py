"""A catalogue of bad inputs: each must give one error at the right place, worded so a student can act on it.

Positions are 1-based (a tab counts as one column).  When a line ends too early
the error points at the last token of the line (where the reader was when it
ran out of input); otherwise it points at the offending character or token.
Errors in declarations (``use foo``, ``depends P on z``, ``dist p(x+1)``, ``def 2 = x``)
are found when the file is checked, so those entries go through ``check_text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pgverify
from pgverify import Options
from pgverify.cli import app
from pgverify.syntax import parse_file


@dataclass(frozen=True)
class Bad:
    id: str
    source: str
    line: int
    column: int
    says: str                 # a substring the message must contain
    when: str = "parse"       # "parse": pgverify.parse; "check": pgverify.check_text


CATALOGUE = [
    # ---- brackets
    Bad("unclosed-paren-in-step", "x\n  = (a + b\n  = c", 2, 10, "'(' opened at line 2, column 5"),
    Bad("unclosed-bracket-of-expectation", "x\n  = E_{x ~ p}[x", 2, 15, "'[' opened at line 2, column 14"),
    Bad("unclosed-paren-over-two-lines", "x\n  = log( a +\n      b\n  = c", 3, 7, "'(' opened at line 2, column 8"),
    Bad("unclosed-paren-in-claim", "claim log(x + 1 = x by algebra", 1, 17, "'(' opened at line 1, column 10"),
    Bad("stray-paren-in-claim", "claim x) = x by algebra", 1, 8, "never opened"),
    Bad("stray-paren-in-step", "x\n  = x + 1)", 2, 10, "never opened"),
    Bad("stray-square-bracket", "x\n  = x]", 2, 6, "never opened"),
    Bad("stray-paren-crlf", "x\r\n  = y )\r\n", 2, 7, "never opened"),
    Bad("stray-paren-after-bom", "\ufeffx\n  = y)", 2, 6, "never opened"),
    Bad("unclosed-call-of-conditional", "claim π_θ(·|s = 1", 1, 15, "')'"),
    # ---- lines that end too early
    Bad("relation-with-nothing-after-it", "x\n  =", 2, 3, "expected an expression"),
    Bad("approx-with-nothing-after-it", "x\n  = y\n  ≈", 3, 3, "expected an expression"),
    Bad("claim-with-nothing-after-relation", "claim x =", 1, 9, "expected an expression"),
    Bad("goal-without-relation", "goal (x)", 1, 8, "relation"),
    Bad("big-operator-without-body", "x\n  = sum_{t=0}^{T-1}", 2, 19, "expression"),
    # ---- big operators and expectations
    Bad("sum-without-index", "x\n  = sum x_t", 2, 5, "index"),
    Bad("expectation-without-tilde", "claim E_{x p}[x] = x", 1, 12, "'~'"),
    Bad("expectation-without-distribution", "claim E_{x}[x] = 1", 1, 11, "E_{x ~ p}"),
    Bad("fraction-derivative-without-parameter", "claim ∂x/∂ = 1", 1, 10, "parameter"),
    # ---- justifications
    Bad("by-without-rule", "x\n  = x by", 2, 7, "rule name"),
    Bad("by-followed-by-comma", "claim x = y by ,", 1, 16, "rule name after 'by'"),
    # ---- chains
    Bad("relation-inside-chain-start", "x + 1 = y", 1, 7, "a relation starts a step on its own line"),
    Bad("step-before-any-chain-start", "use rl\n  = x by algebra", 2, 3, "a line before it to relate to"),
    Bad("two-relations-in-a-claim", "claim x = y = z", 1, 13, "unexpected '='"),
    # ---- unexpected characters
    Bad("at-sign", "x\n  = x @ 2", 2, 7, "unexpected '@'"),
    Bad("at-sign-after-tab", "x\n\t= y @", 2, 6, "'@'"),
    Bad("dollar-sign", "claim x = 2 $", 1, 13, "unexpected '$'"),
    # ---- statements
    Bad("param-of-a-number", "param 3", 1, 7, "expected a name"),
    Bad("lemma-without-name", "lemma : x = x", 1, 7, "lemma name"),
    Bad("derivation-title-without-quotes", "derivation title", 1, 12, "quoted"),
    Bad("junk-after-fun-declaration", "fun f(x) positive extra", 1, 19, "end of the line"),
    # ---- declarations (found when checking)
    Bad("unknown-vocabulary", "use foo\nclaim x = x", 1, 1, "unknown vocabulary 'foo'", "check"),
    Bad("depends-on-a-non-parameter", "use rl\ndepends P on z\nclaim x = x", 2, 14, "'z' is not a parameter", "check"),
    Bad("dist-of-an-expression", "dist p(x+1)\nclaim x = x", 1, 8, "plain variable names", "check"),
    Bad("fun-of-an-expression", "fun f(x+1)\nclaim x = x", 1, 7, "plain variable names", "check"),
    Bad("def-of-a-number", "def 2 = x\nclaim x = x", 1, 5, "names what it defines", "check"),
]


def _errors(bad: Bad) -> list[pgverify.model.SyntaxIssue]:
    if bad.when == "check":
        return list(pgverify.check_text(bad.source, "<bad>", Options(time_limit=5)).errors)
    return list(pgverify.parse(bad.source).errors)


def test_the_catalogue_is_large_enough() -> None:
    assert len(CATALOGUE) >= 20
    assert len({b.id for b in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("bad", CATALOGUE, ids=lambda b: b.id)
def test_bad_input_gets_one_located_error(bad: Bad) -> None:
    errors = _errors(bad)
    assert len(errors) == 1, [(e.span.line, e.span.column, e.message) for e in errors]
    (error,) = errors
    shown = f"{error.span.line}:{error.span.column}: {error.message}"
    assert (error.span.line, error.span.column) == (bad.line, bad.column), shown
    assert bad.says in error.message, shown
    assert "Traceback" not in error.message and "Unexpected" not in error.message, shown


@pytest.mark.parametrize("bad", [b for b in CATALOGUE if b.when == "parse"], ids=lambda b: b.id)
def test_the_caret_points_at_the_reported_column(bad: Bad) -> None:
    errors = pgverify.parse(bad.source).errors
    assert len(errors) == 1, errors
    (error,) = errors
    source_line, caret = error.context.split("\n")[-2:]
    assert caret.strip() == "^"
    assert caret.index("^") == error.span.column - 1
    physical = bad.source.lstrip("\ufeff").replace("\r", "").split("\n")[error.span.line - 1]
    assert source_line.rstrip() == physical.rstrip()


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "utf16.pgv"
    path.write_bytes("use rl\nclaim x = x\n".encode("utf-16"))  # starts with the bytes FF FE
    source = parse_file(path)
    assert len(source.errors) == 1
    (error,) = source.errors
    assert (error.span.line, error.span.column) == (1, 1)
    assert "not UTF-8" in error.message
    assert source.derivations == ()


# --------------------------------------------------------------------------- the report of a bad file

BROKEN_AND_GOOD = """\
param x

derivation "broken"
    x + x
  = 2 x )              by algebra
  = 2 x                 by algebra

derivation "good"
    x + x
  = 2 x                 by algebra
  = x 2                 by algebra
"""


def test_text_output_shows_location_and_caret(tmp_path: Path) -> None:
    (tmp_path / "broken.pgv").write_text(BROKEN_AND_GOOD, encoding="utf-8")
    path = Path("broken.pgv")  # a short path: a long one wraps the message onto the next line, as it should
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        result = CliRunner().invoke(app, ["check", "--no-color", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    header = [i for i, line in enumerate(lines) if re.match(rf"{re.escape(str(path))}:\d+:\d+: error: ", line)]
    assert len(header) == 1, result.stdout
    match = re.match(rf"{re.escape(str(path))}:(\d+):(\d+): error: (.+)", lines[header[0]])
    assert match is not None
    line, column = int(match.group(1)), int(match.group(2))
    assert line == 5
    assert column == 9
    assert "never opened" in match.group(3)
    shown, caret = lines[header[0] + 1], lines[header[0] + 2]
    assert shown.strip() == BROKEN_AND_GOOD.splitlines()[line - 1].strip()
    assert caret.strip() == "^"
    # the caret sits under the reported column of the shown line
    indent = len(shown) - len(shown.lstrip())
    source_indent = len(BROKEN_AND_GOOD.splitlines()[line - 1]) - len(BROKEN_AND_GOOD.splitlines()[line - 1].lstrip())
    assert caret.index("^") - (indent - source_indent) == column - 1
    assert "Traceback" not in result.output


def test_other_derivations_in_the_file_are_still_checked() -> None:
    result = pgverify.check_text(BROKEN_AND_GOOD, "<broken-and-good>", Options(time_limit=5))
    assert [e.span.line for e in result.errors] == [5]
    by_title = {d.title: d for d in result.derivations}
    assert set(by_title) == {"broken", "good"}
    good = by_title["good"]
    assert [s.line for s in good.steps] == [10, 11]
    assert all(s.verdict in ("proved", "checked") for s in good.steps), [(s.line, s.verdict) for s in good.steps]
    broken = by_title["broken"]
    # the unreadable line and the step after it are reported, as unknown, in their places
    assert [s.line for s in broken.steps] == [5, 6]
    assert all(s.verdict == "unknown" for s in broken.steps)


def test_a_bad_line_costs_one_line_not_the_file() -> None:
    text = "param x\nclaim x + x = 2 x\nclaim x @ x = x\nclaim x x = x^2\nclaim x + x = 3 x\n"
    result = pgverify.check_text(text, "<lines>", Options(time_limit=5))
    assert [e.span.line for e in result.errors] == [3]
    verdicts = {s.line: s.verdict for d in result.derivations for s in d.steps}
    assert verdicts[2] in ("proved", "checked")
    assert verdicts[4] in ("proved", "checked")
    assert verdicts[5] == "refuted"
