"""The terminal report: it fits the width it is given, says each thing once, counts in real plurals,
prints user text literally (never as rich markup), ends no line in a space, and ``verbose`` adds
each step's models and sides without changing anything else.

Real files are checked once per module (``check_text`` on the seed files); the renderer runs for real.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from rich.cells import cell_len

import pgverify
from pgverify.results import CHECKED, PROVED, REFUTED, UNKNOWN, DerivationResult, FileResult, StepResult
from pgverify.render import RENDERERS
from pgverify.report import Report

ROOT = Path(__file__).resolve().parent.parent
SEED = sorted((ROOT / "proofs" / "seed").glob("*.pgv"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DETAIL = " " * 8
render = RENDERERS["text"]

MARKUP = "[bold]x[/bold]"
CALL = "[f(x)]"
LONG = ("the two sides differ in a finite model, and this message is long enough that it has to be wrapped "
        "at eighty columns more than once, so the hanging indent shows on two continuation lines at least")


@pytest.fixture(scope="module")
def seed_report() -> Report:
    return Report([pgverify.check_text(p.read_text(encoding="utf-8"), p.relative_to(ROOT).as_posix()) for p in SEED])


def _step(verdict: str, line: int, **fields) -> StepResult:
    return StepResult(line, 3, "=", verdict, **fields)


def markup_report() -> Report:
    """A report whose every user-written or catalogue-made text holds rich markup."""
    refuted = _step(REFUTED, 3, text=f"= {MARKUP} + E_{{x ~ p}}{CALL}   by [red]made-up[/red]",
                    lhs=f"E_{{x ~ p}}{CALL}", rhs=f"{MARKUP} + 1", rules=[], cited=["[red]made-up[/red]"],
                    justification="unknown-rule", suggestions=["[link]eglp[/link]"],
                    message=f"the two sides differ {CALL}", difference=(f"{CALL}", MARKUP),
                    counterexample={"[b]size[/b]": 2, "lhs": 1.0, "rhs": 2.0, "assignments": {"[i]x[/i]": "[u]1[/u]"}},
                    diagnosis={"name": "lost-discount", "title": f"a title with {CALL}", "hint": f"a hint with {MARKUP}"},
                    conditions=[{"rule": "[blue]kl[/blue]", "text": f"q {CALL} > 0", "status": "assumed",
                                 "note": f"note {MARKUP}"}])
    unknown = _step(UNKNOWN, 4, text=f"= {CALL}", lhs=MARKUP, rhs=CALL, message=f"why {MARKUP} {CALL}")
    d = DerivationResult(f"title {MARKUP} {CALL}", 1, "not-reached", f"goal {CALL}", [refuted, unknown])
    f = FileResult(f"notes/{CALL}.pgv", [], [d], ("x", f"  = {MARKUP} + E_{{x ~ p}}{CALL}"))
    return Report([f], usage_errors=[f"usage {MARKUP}"])


def plain(text: str) -> list[str]:
    return ANSI.sub("", text).split("\n")[:-1]


# --------------------------------------------------------------------------- width


@pytest.mark.parametrize("width", [80, 60, 120])
def test_no_line_is_wider_than_the_width(seed_report: Report, width: int) -> None:
    for verbose in (False, True):
        lines = plain(render(seed_report, width=width, verbose=verbose))
        too_wide = [line for line in lines if cell_len(line) > width]
        assert not too_wide, too_wide
        # something was long enough to need wrapping at 80 columns, so the check is not vacuous
        if width == 80:
            assert any(cell_len(line) > 72 for line in lines)


def test_the_width_given_is_honoured(seed_report: Report) -> None:
    wide, narrow = plain(render(seed_report, width=200)), plain(render(seed_report, width=80))
    assert max(map(cell_len, wide)) > 80
    assert len(narrow) > len(wide)


def test_continuation_lines_are_indented_under_their_field() -> None:
    step = _step(UNKNOWN, 2, text="= x", lhs="x", rhs="x", message=LONG)
    report = Report([FileResult("a.pgv", [], [DerivationResult("d", 1, None, "", [step])])])
    lines = plain(render(report, width=80))
    (at,) = [k for k, line in enumerate(lines) if line.startswith(DETAIL + "why: ")]
    indent = len(DETAIL + "why: ")
    continued = []
    for line in lines[at + 1:]:
        if not line.startswith(" " * indent) or line[indent] == " ":
            break
        continued.append(line[indent:])
    assert len(continued) >= 2
    words = (lines[at][indent:] + " " + " ".join(continued)).split()
    assert words == LONG.split(), "every word once, in order, none broken"


def test_a_word_longer_than_the_room_is_folded_not_left_to_the_terminal() -> None:
    word = "x" * 150
    step = _step(UNKNOWN, 2, text=f"= {word}", lhs="x", rhs=word, message="m")
    report = Report([FileResult("a.pgv", [], [DerivationResult("d", 1, None, "", [step])])])
    lines = plain(render(report, width=80))
    assert all(cell_len(line) <= 80 for line in lines)
    assert "".join(line.strip().split()[-1] for line in lines if "xxxxx" in line).count("x") >= 150


def test_a_long_source_line_under_a_syntax_error_is_cut_around_the_caret() -> None:
    source = "claim " + " + ".join("x" for _ in range(120)) + " = (2 x"
    result = pgverify.check_text(f"param x\n{source}\n", "long.pgv")
    assert result.errors
    lines = plain(render(Report([result]), width=80))
    assert all(cell_len(line) <= 80 for line in lines)
    (caret,) = [k for k, line in enumerate(lines) if line.strip() == "^"]
    column = lines[caret].index("^")
    assert lines[caret - 1][column - 3:column + 1].strip(), "the caret stands under the shown text"


# --------------------------------------------------------------------------- said once


def test_each_step_says_its_citation_once(seed_report: Report) -> None:
    out = render(seed_report, width=100)
    steps = [s for f in seed_report.files for d in f.derivations for s in d.steps if s.cited]
    assert steps
    by_lines = [line for line in plain(out) if line.startswith(DETAIL + "by ")]
    assert len(by_lines) == len(steps), "one `by …` line per citing step"
    for line in plain(out):
        if re.match(r"^\s+[✓✗?] ", line):
            assert " by " not in line, f"the step line repeats its citation: {line!r}"
    for s, line in zip(steps, by_lines):
        assert line == f"{DETAIL}by {', '.join(s.rules)} [{s.justification}]" or s.suggestions


def test_each_mistake_is_said_once(seed_report: Report) -> None:
    out = render(seed_report, width=100)
    diagnosed = [s for f in seed_report.files for d in f.derivations for s in d.steps if s.diagnosis]
    assert len(diagnosed) >= 3
    flat = " ".join(out.split())
    for s in diagnosed:
        assert flat.count(" ".join(s.diagnosis["title"].split())) == 1, s.diagnosis["title"]
        assert flat.count(" ".join(s.diagnosis["hint"].split())) == 1
    # and within a step's block no line is printed twice
    blocks: list[list[str]] = []
    for line in plain(out):
        if re.match(r"^    [✓✗?] ", line) or not line.startswith(DETAIL):
            blocks.append([])
        blocks[-1].append(line)
    assert len(blocks) > len(diagnosed)
    for block in blocks:
        assert [line for line, n in Counter(block).items() if n > 1] == [], block


# --------------------------------------------------------------------------- plurals


def _summary_line(report: Report) -> str:
    (line,) = [line for line in plain(render(report)) if line.startswith("Summary: ")]
    return line


def test_summary_counts_in_real_plurals(tmp_path: Path) -> None:
    one = pgverify.check_text("param x\nclaim x + x = 2 x   by algebra\n", "one.pgv")
    assert _summary_line(Report([one])).startswith("Summary: 1 step in 1 derivation: 1 proved, ")
    three = pgverify.check_text("param x\nclaim x + x = 2 x   by algebra\nclaim x x = x^2   by algebra\n"
                                'derivation "empty"\n    x\n', "three.pgv")
    s = Report([three]).summary()
    assert (s["steps"], s["derivations"]) == (2, 3)
    assert _summary_line(Report([three])).startswith("Summary: 2 steps in 3 derivations: ")
    broken = pgverify.check_text("param x\nclaim x + x = (2 x\n", "broken.pgv")
    assert _summary_line(Report([broken])).endswith("; 1 error")
    assert _summary_line(Report([broken, broken])).endswith("; 2 errors")


def test_a_checked_step_counts_its_models_in_real_plurals() -> None:
    for models, words in ((1, "holds on 1 random model,"), (6, "holds on 6 random models,")):
        step = _step(CHECKED, 2, text="= x", lhs="x", rhs="x", models=models)
        report = Report([FileResult("a.pgv", [], [DerivationResult("d", 1, None, "", [step])])])
        assert words in render(report)


# --------------------------------------------------------------------------- literal text


@pytest.mark.parametrize("color", [False, True])
def test_user_and_catalogue_text_is_printed_literally(color: bool) -> None:
    out = "\n".join(plain(render(markup_report(), color=color, width=100)))
    for literal in (MARKUP, CALL, f"E_{{x ~ p}}{CALL}", "[red]made-up[/red]", "[link]eglp[/link]",
                    f"title {MARKUP} {CALL}", f"a title with {CALL}", f"a hint with {MARKUP}",
                    f"q {CALL} > 0 ([blue]kl[/blue]): note {MARKUP}", f"why {MARKUP} {CALL}",
                    "[b]size[/b]", "[i]x[/i] = [u]1[/u]", f"notes/{CALL}.pgv", f"usage {MARKUP}"):
        assert literal in out, literal


@pytest.mark.parametrize("color", [False, True])
def test_no_line_ends_in_a_space(seed_report: Report, color: bool) -> None:
    for report in (seed_report, markup_report()):
        for verbose in (False, True):
            out = render(report, color=color, width=80, verbose=verbose)
            assert not [line for line in out.split("\n") if ANSI.sub("", line).endswith((" ", "\t"))]
            assert color == bool(ANSI.search(out))


# --------------------------------------------------------------------------- verbose


def test_verbose_shows_every_steps_models_and_sides(seed_report: Report) -> None:
    lines = plain(render(seed_report, width=200, verbose=True))
    steps = seed_report.steps()
    assert sum(1 for line in lines if line.startswith(DETAIL + "models: ")) == len(steps)
    assert sum(1 for line in lines if line.startswith(DETAIL + "left:  ")) == len(steps)
    assert sum(1 for line in lines if line.startswith(DETAIL + "right: ")) == len(steps)
    for s in steps:
        if s.verdict in (PROVED, CHECKED):
            assert f"{DETAIL}models: held on {s.models} random finite model{'s' if s.models != 1 else ''}" in lines
        for label, side in (("left:  ", s.lhs), ("right: ", s.rhs)):
            assert any(line.startswith(DETAIL + label + " ".join(side.split())[:100]) for line in lines), side


def test_verbose_only_adds_lines(seed_report: Report) -> None:
    default = plain(render(seed_report, width=200))
    verbose = plain(render(seed_report, width=200, verbose=True))
    assert not any(line.startswith(DETAIL + "models: ") for line in default)
    assert len(verbose) > len(default)
    # the default report is the verbose one less the added lines, in the same order
    it = iter(verbose)
    missing = [line for line in default if line.startswith(DETAIL + "holds on") or line not in it]
    assert [line for line in missing if not line.startswith(DETAIL + "holds on")] == []


def test_colour_marks_the_labels_not_the_users_text() -> None:
    step = _step(REFUTED, 2, text="= 3 x", lhs="x + x", rhs="3 x", message="m")
    report = Report([FileResult("a.pgv", [], [DerivationResult("d", 1, None, "", [step])])])
    out = render(report, color=True)
    (line,) = [line for line in out.split("\n") if "= 3 x" in line]
    before, _, after = line.partition("= 3 x")
    assert before.endswith("\x1b[0m") and not ANSI.search(after), repr(line)
