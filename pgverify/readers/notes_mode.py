"""Notes mode's part of assembling a notes file: what a block that is read *says* (its definitions,
assumptions and free indices learned, an update rule, inline math, a block that cannot be read), kept
apart from :mod:`pgverify.readers.base` so that each stays small.  The decisions themselves are in
:mod:`pgverify.readers.notes`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .. import model as m
from ..syntax import latex
from ..syntax.latex.notation import construct_of
from .notes import (
    DEFINING, classify, defined_name, estimate_on_the_right, free_indices, introduced_by, unfoldable, used_names,
)


class NotesMixin:
    """The notes-mode methods of the reader's assembly (``self`` has ``notes``, ``skips``, ``declare``,
    ``add``, ``place`` and ``title``)."""

    notes: Any
    skips: list[m.SyntaxIssue]
    title: str

    def _free_indices(self, steps: Sequence[m.Step]) -> None:
        """A warning at each name indexed by a sum's index outside the sum (a body that ended too early)."""
        for step in steps:
            for expr in (step.previous, step.expr):
                said: set[str] = set()
                for name, index in free_indices(expr) if expr is not None else ():
                    if index in said:
                        continue        # once per side and index: the first name outside the sum
                    said.add(index)
                    span = name.span if name.span != m.NOWHERE else step.span
                    warning = m.SyntaxIssue(span, f"free index: '{index}' in {m.show(name)} stands outside the sum"
                                                  f" over {index} (the sum's body ends at the first + or -:"
                                                  " put the body in brackets)")
                    if warning not in self.notes.warnings:
                        self.notes.warnings.append(warning)

    def _skip(self, event: Any, result: latex.BlockResult) -> None:
        """An unmarked block that cannot be read: a note with its place and the construct, not an error."""
        line, _ = event.where()
        first = result.errors[0]
        construct = construct_of(event.text.text[event.start:event.end])
        reason = f"{construct}: {first.message}" if construct else first.message
        self.skips.append(m.SyntaxIssue(first.span, f"skipped a math block at {self.place(line)}: {reason}",
                                        first.context))
        self.notes.skipped += 1
        self.notes.last = None

    def _update_rule(self, event: Any) -> bool:
        """``\\theta \\leftarrow \\theta + \\alpha g``: an update rule, a definition (reported, never checked)."""
        body = event.text.text[event.start:event.end]
        found = re.search(r"\\(leftarrow|gets|longleftarrow)(?![A-Za-z])|←", body)
        if found is None or re.search(r"=|\\approx", body[:found.start()]):
            return False
        line, col = event.text.position(event.start + found.start())
        self.notes.facts.append(m.Fact("definition", m.Span(line, col, line, col + 1),
                                       " ".join(body.strip("$").split()), "update rule"))
        return True

    def _inline(self, event: Any, result: latex.BlockResult, prose: str) -> None:
        """Inline math: a definition is learned; a chain of two or more relations is checked."""
        if result.errors or not result.steps:
            if not result.errors:
                self.notes.last = result.last
            return
        if len(result.steps) < 2:
            self._learn(result, prose, strict_only=False, only_facts=True)
            return
        steps = self._learn(result, prose, strict_only=False)
        if steps:
            line, col = event.where()
            title = self.title or f"math at {self.place(line)}"
            self.add(m.Derivation(title, m.Span(line, col, line, col + 1), (), None, tuple(steps), None,
                                  result.chains))

    def _learn(self, result: latex.BlockResult, prose: str, strict_only: bool,
               only_facts: bool = False) -> list[m.Step]:
        """The block's steps with its definitions and assumptions taken out (and learned)."""
        kind_of_prose = introduced_by(prose)
        steps: list[m.Step] = []
        for k, step in enumerate(result.steps):
            starts = result.starts[k] if k < len(result.starts) else False
            spelling = result.spellings[k] if k < len(result.spellings) else "="
            if strict_only:
                kind = "definition" if starts and spelling in DEFINING and step.previous is not None else None
            else:
                kind = classify(step, spelling, starts, kind_of_prose, self.notes.known, k == 0 and not result.continued,
                                frozenset(self.notes.used))
            if kind is None:
                if not only_facts:
                    steps.append(estimate_on_the_right(step))
                    self.notes.used |= used_names((step.previous, step.expr))
                continue
            self._fact(kind, step)
            self.notes.used |= used_names((step.expr,))
        return steps

    def _fact(self, kind: str, step: m.Step) -> None:
        assert step.previous is not None and step.expr is not None
        name = defined_name(step.previous) if kind == "definition" else None
        unfold = kind == "definition" and unfoldable(step.previous, step.expr, self.notes.params_seen)
        if unfold:
            self.declare([m.Definition(step.previous, step.expr, span=step.span)])
        if name:
            self.notes.known.add(name)
        shown = f"{m.show(step.previous)} {step.relation} {m.show(step.expr)}"
        self.notes.facts.append(m.Fact(kind, step.span, step.text or shown, m.show(step.previous) if name else "",
                                       unfold))
