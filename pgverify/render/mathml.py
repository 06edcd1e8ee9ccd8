"""Expressions as MathML (the HTML report's math), built from pgverify's own model.

A result carries its sides as text in the derivation language (``show``);
:func:`side` reads that text back with pgverify's own parser (never ``eval``)
and lays the tree out as presentation MathML, so the page shows exactly the
expression that was checked, typeset, with no JavaScript and no network.
Text that does not read back (it should not happen) is shown as ``<mtext>``.

``mark``, a sub-expression, is wrapped in ``<mrow class="pgv-diff">`` wherever
it occurs: that is how the report highlights where the two sides differ.
Every name and number passes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape

from .. import model as m
from ..syntax import parse_expression

_BIG = {"sum": "∑", "prod": "∏", "int": "∫"}
# the binding strength of each node, as model.expressions.show uses it (higher binds tighter)
_PRECEDENCE: dict[type, int] = {m.Add: 1, m.Sub: 1, m.Mul: 2, m.Div: 7, m.Neg: 3, m.BigOp: 4, m.Expect: 8,
                                m.Func: 5, m.Grad: 5, m.Pow: 6}
_RELATIONS = {"=": "=", "<=": "≤", ">=": "≥", "!=": "≠", "~": "∼", "propto": "∝"}


def _mi(text: str) -> str:
    # a one-letter name is italic by MathML's default; a longer one (`Pr`, `log`) is upright
    variant = "" if len(text) == 1 else ' mathvariant="normal"'
    return f"<mi{variant}>{escape(text)}</mi>"


def _mo(text: str) -> str:
    return f"<mo>{escape(text)}</mo>"


def _row(*parts: str) -> str:
    return "<mrow>" + "".join(parts) + "</mrow>"


def _paren(inner: str, left: str = "(", right: str = ")") -> str:
    return _row(_mo(left), inner, _mo(right))


def expression(expr: m.Expr, mark: m.Expr | None = None) -> str:
    """The MathML (without the ``<math>`` element) of an expression, ``mark`` highlighted."""
    return _Layout(mark).node(expr, 0)


def relation(text: str) -> str:
    """A step's relation (``=``, ``<=``, …) as an operator."""
    return _mo(_RELATIONS.get(text, text))


def read(text: str) -> m.Expr | None:
    """A side's text read back into the model; None when it does not read."""
    try:
        return parse_expression(text)
    except Exception:   # noqa: BLE001 - any failure to read back falls back to plain text, never a traceback
        return None


def side(text: str, mark: str | None = None) -> str:
    """A side of a step (its text as in a result) as MathML, ``mark`` (also text) highlighted."""
    expr = read(text)
    if expr is None:
        return f"<mtext>{escape(text)}</mtext>"
    marked = read(mark) if mark else None
    return expression(expr, marked)


def math(*parts: str, display: bool = False) -> str:
    """A ``<math>`` element around MathML parts."""
    # display style even inline, so that a sum's bounds sit under and over its sign, as in the notes
    mode = ' display="block"' if display else ""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{mode} displaystyle="true">{_row(*parts)}</math>'


class _Layout:
    """Lays out one expression; remembers the sub-expression to highlight."""

    def __init__(self, mark: m.Expr | None) -> None:
        self.mark = mark

    def node(self, e: m.Expr, outer: int) -> str:
        out = self._node(e, outer)
        if self.mark is not None and e == self.mark:   # nodes compare without their spans
            return f'<mrow class="pgv-diff">{out}</mrow>'
        return out

    def _wrapped(self, e: m.Expr, outer: int) -> str:
        inner = _PRECEDENCE.get(type(e), 9)
        out = self.node(e, outer)
        return _paren(out) if inner < outer else out

    def name(self, n: m.Name) -> str:
        out = _mi(n.base)
        if n.sub:
            sub = _row(*_join([self.node(s, 0) for s in n.sub], ","))
            out = f"<msub>{out}{sub}</msub>"
        sup = []
        if n.primes:
            sup.append(_mo("′" * n.primes))
        if n.decoration:
            sup.append(_mi(n.decoration))
        if n.sample is not None:
            sup.append(_paren(self.node(n.sample, 0)))
        if sup:
            out = f"<msup>{out}{_row(*sup)}</msup>"
        return out

    def _node(self, e: m.Expr, outer: int) -> str:  # noqa: C901 - one case per node type
        match e:
            case m.Num(value=v):
                text = str(v.numerator) if v.denominator == 1 else f"{float(v):g}"
                if text.startswith("-"):
                    return _row(_mo("−"), f"<mn>{escape(text[1:])}</mn>")
                return f"<mn>{escape(text)}</mn>"
            case m.Name():
                return self.name(e)
            case m.Placeholder():
                return _mo("·")
            case m.Call(func=f, args=a, given=g):
                inner = _join([self.node(x, 0) for x in a], ",")
                if g:
                    inner += [_mo("|"), *_join([self.node(x, 0) for x in g], ",")]
                return _row(self.name(f), "<mo>&#x2061;</mo>", _paren(_row(*inner)))
            case m.Add(left=l, right=r):
                return _row(self._wrapped(l, 1), _mo("+"), self._wrapped(r, 2))
            case m.Sub(left=l, right=r):
                return _row(self._wrapped(l, 1), _mo("−"), self._wrapped(r, 2))
            case m.Mul(left=l, right=r):
                # a visible dot between two numbers (2 · 3), an invisible times elsewhere (2 x, π(a) R)
                times = "<mo>·</mo>" if isinstance(r, m.Num) else "<mo>&#x2062;</mo>"
                return _row(self._wrapped(l, 2), times, self._wrapped(r, 3))
            case m.Div(left=l, right=r):
                return f"<mfrac>{self.node(l, 0)}{self.node(r, 0)}</mfrac>"
            case m.Neg(operand=o):
                return _row(_mo("−"), self._wrapped(o, 3))
            case m.Pow(base=b, exponent=x):
                return f"<msup>{self._wrapped(b, 7)}{self.node(x, 0)}</msup>"
            case m.Func(name="sqrt", arg=a):
                return f"<msqrt>{self.node(a, 0)}</msqrt>"
            case m.Func(name=n, arg=a):
                arg = self.node(a, 0)
                # the argument goes in parentheses unless it is a lone name or call (log π(a|s))
                if not isinstance(a, (m.Name, m.Call, m.Num)):
                    arg = _paren(arg)
                # a thin space after the function's name: `log π`, not `logπ`
                return _row(_mi(n), "<mo>&#x2061;</mo>", '<mspace width="0.17em"></mspace>', arg)
            case m.Grad(param=p, operand=o):
                return _row(f"<msub><mo>∇</mo>{_mi(p)}</msub>", self._wrapped(o, 5))
            case m.BigOp(kind=k, index=i, body=b, lower=lo, upper=hi, over=ov):
                op = _mo(_BIG["int" if e.integral else k])
                if lo is not None:
                    under = _row(self.name(i), _mo("="), self.node(lo, 0))
                    upper = self.node(hi, 0) if hi is not None else "<mrow></mrow>"
                    head = f"<munderover>{op}{under}{upper}</munderover>"
                elif ov is not None:
                    head = f"<munder>{op}{_row(self.name(i), _mo('∈'), self.name(ov))}</munder>"
                else:
                    head = f"<munder>{op}{self.name(i)}</munder>"
                return _row(head, self._wrapped(b, 2))
            case m.Expect(variables=vs, dist=d, body=b):
                sub = _row(*_join([self.name(v) for v in vs], ","), _mo("∼"), self.node(d, 0))
                head = f"<msub><mi>𝔼</mi>{sub}</msub>"
                return _row(head, _paren(self.node(b, 0), "[", "]"))
            case m.Size(name=n):
                return _row(_mo("|"), self.name(n), _mo("|"))
        return f"<mtext>{escape(m.show(e))}</mtext>"


def _join(parts: list[str], separator: str) -> list[str]:
    out: list[str] = []
    for k, part in enumerate(parts):
        if k:
            out.append(_mo(separator))
        out.append(part)
    return out
