"""The constructs of real notes in a row's lark tree: optima, conditional expectations, evaluation bars.

What a step holding one of them means is decided by :mod:`.opaque`; here they are only built."""

from __future__ import annotations

import re

from lark import v_args

from ... import model as m
from .located import LatexError
from .names import NameBuilder


class ConstructBuilder(NameBuilder):
    """Builds ``Optimum``, ``CondExpect`` and ``EvalAt`` nodes (the row builder's base)."""

    @v_args(meta=True)
    def cond_expect(self, meta, c):
        _e, (variables, dist), (body, given) = c
        return m.CondExpect(variables, dist, body, given, span=self._s(meta))

    @v_args(meta=True)
    def cond_expect_plain(self, meta, c):
        _e, (body, given) = c
        return m.CondExpect((), None, body, given, span=self._s(meta))

    def cbody(self, c):
        body, _bar, *given = c
        return body, tuple(given)

    @v_args(meta=True)
    def cond_equation(self, meta, c):
        left, rel, right = c
        if str(rel).strip() != "=":
            raise LatexError(rel.start_pos, rel.end_pos, "a condition of an expectation is an event: write it"
                                                         " with '=' (s_0 = s)")
        return m.Call(m.Name("=", span=self._t(rel)), (left, right), span=self._s(meta))

    @v_args(meta=True)
    def optimum(self, meta, c):
        head, (index, lower, over), body = c
        word = re.sub(r"[^a-z]", "", str(head).replace("operatorname", "").replace("mathrm", ""))
        kind = {"sup": "max", "inf": "min"}.get(word, word)
        if over is not None:   # a feasible set would change the optimum's value: not read rather than ignored
            raise LatexError(meta.start_pos, meta.end_pos, f"a constrained optimum (\\{word} over a set) is not read")
        if lower is not None:
            raise LatexError(meta.start_pos, meta.end_pos, f"write the variable of \\{word} alone under it:"
                                                           f" \\{word}_\\pi …")
        return m.Optimum(kind, index, body, span=self._s(meta))

    @v_args(meta=True)
    def evalat(self, meta, c):
        _open, body, _close, variable, rel, value = c
        if str(rel).strip() != "=":
            raise LatexError(rel.start_pos, rel.end_pos, "an evaluation bar sets a variable: \\right|_{\\theta=\\theta_0}")
        return m.EvalAt(body, variable, value, span=self._s(meta))
