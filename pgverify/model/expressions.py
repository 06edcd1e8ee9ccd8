"""Expression nodes: frozen dataclasses with a source span each, and ``show`` to print them back.

Every node carries a :class:`Span` (1-based line and column of its first
character, and the position just past its last one) so that every message
can point at the source.
"""

from __future__ import annotations

import sys
from dataclasses import field
from fractions import Fraction

from .records import finish, record


@record(order=True)
class Span:
    """Where a node stands in its file (1-based, end exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int


finish(__name__)   # Span's methods now: NOWHERE is made at once, and is every expression's default span
NOWHERE = Span(0, 0, 0, 0)


# --------------------------------------------------------------------------- expressions


@record
class Expr:
    """Base class of expression nodes."""

    span: Span = field(compare=False, repr=False, kw_only=True, default=NOWHERE)


@record
class Num(Expr):
    """A number as written: an integer or a decimal, held exactly."""

    value: Fraction


@record
class Name(Expr):
    """A variable or function name: ``s_t``, ``π_θ``, ``ρ0`` (= ``ρ_0``), ``x^{(i)}``, ``s'``.

    ``base`` is the canonical letter part (ASCII Greek spellings mapped to
    Unicode), ``sub`` the subscript (a name, a number or an expression),
    ``sample`` the sample index of ``x^{(i)}``, ``primes`` the number of primes,
    ``decoration`` the superscript of a decorated function name (``Q^π``).
    """

    base: str
    sub: tuple[Expr, ...] = ()
    primes: int = 0
    sample: Expr | None = None
    decoration: str | None = None
    # the text of ``key()`` once asked for ("" before): a slot of its own rather than a cached_property,
    # which would need an instance dict on every name of every tree; not compared, hashed, shown or given
    # to __init__ (``replace`` leaves it empty, so a changed name computes its own)
    _key: str = field(default="", init=False, compare=False, repr=False)

    def key(self) -> str:
        """A canonical text for the name, used to identify variables and functions."""
        return self._key or self._compute_key()

    def _compute_key(self) -> str:
        text = self.base + "'" * self.primes
        if self.decoration:
            text += "^" + self.decoration
        if len(self.sub) == 1 and isinstance(self.sub[0], (Name, Num)) and not getattr(self.sub[0], "sub", ()):
            text += "_" + show(self.sub[0])
        elif self.sub:
            text += "_{" + ",".join(show(s) for s in self.sub) + "}"
        if self.sample is not None:
            text += "^(" + show(self.sample) + ")"
        text = sys.intern(text)   # one string per distinct name: a note writes s_t and π_θ hundreds of times
        object.__setattr__(self, "_key", text)   # a cache in a frozen node: the same text every time
        return text


@record
class Placeholder(Expr):
    """The ``·`` in ``π_θ(·|s)``: the variable of the enclosing expectation."""


@record
class Call(Expr):
    """``f(x, y)`` or ``p(x | y, z)`` / ``p(x; θ)`` (``given`` holds what is right of the bar)."""

    func: Name
    args: tuple[Expr, ...]
    given: tuple[Expr, ...] = ()

    @property
    def all_args(self) -> tuple[Expr, ...]:
        return self.args + self.given


@record
class Add(Expr):
    """``left + right``."""

    left: Expr
    right: Expr


@record
class Sub(Expr):
    """``left - right``."""

    left: Expr
    right: Expr


@record
class Mul(Expr):
    """``left right`` or ``left * right``."""

    left: Expr
    right: Expr


@record
class Div(Expr):
    """``left / right``."""

    left: Expr
    right: Expr


@record
class Neg(Expr):
    """``-operand``."""

    operand: Expr


@record
class Pow(Expr):
    """``base^exponent``."""

    base: Expr
    exponent: Expr


@record
class Func(Expr):
    """A built-in function of one argument: ``log``, ``exp``, ``sqrt``."""

    name: str
    arg: Expr


@record
class Grad(Expr):
    """``∇_θ X``, ``∂/∂θ X``, ``∂X/∂θ``: the derivative of ``operand`` in parameter ``param``."""

    param: str
    operand: Expr


@record
class BigOp(Expr):
    """``sum``/``prod``/``int`` over an index.

    ``lower``/``upper`` are set for ``sum_{i=lo}^{hi}``; ``over`` names the data
    set of ``sum_{τ ∈ D}``; neither for ``sum_t`` (time steps), ``sum_τ`` (all
    trajectories) or ``sum_{x}`` (all values of x).
    """

    kind: str  # "sum" | "prod"
    index: Name
    body: Expr
    lower: Expr | None = None
    upper: Expr | None = None
    over: Name | None = None
    integral: bool = False  # written int_ or ∫ (a sum over a finite space here, an integral in the notes)


@record
class Expect(Expr):
    """``E_{x ~ p}[body]``; ``dist`` is a name (``p``, ``π_θ``) or a call (``π_θ(·|s)``)."""

    variables: tuple[Name, ...]
    dist: Expr
    body: Expr


@record
class Size(Expr):
    """``|D|``, the number of samples in a data set."""

    name: Name


@record
class Optimum(Expr):
    """``max_π f``, ``min_x g``, ``argmax_θ J(θ)``: ``kind`` is ``max``, ``min``, ``argmax`` or ``argmin``.

    The LaTeX reader decides what it can of a step with optima (``syntax.latex.opaque``) and hands the
    checker either plain expressions or an :class:`Opaque` node; an ``Optimum`` is never evaluated.
    """

    kind: str
    variable: Name
    body: Expr


@record
class CondExpect(Expr):
    """``E[f | A]``, ``E_{x ~ p}[f | s_0 = s]``: an expectation given conditions (``given``; an equation
    ``s_0 = s`` is the call ``=(s_0, s)``).  Like :class:`Optimum`, read but never evaluated as such."""

    variables: tuple[Name, ...]
    dist: Expr | None
    body: Expr
    given: tuple[Expr, ...]


@record
class EvalAt(Expr):
    """``\\left. f \\right|_{θ=θ_0}``: ``body`` with ``variable`` set to ``value``."""

    body: Expr
    variable: Name
    value: Expr


@record
class Opaque(Expr):
    """A construct as written (``expr``) and what it means (``meaning``) *when* the names inside it have no
    meaning of their own in the file (no definition, declaration or vocabulary entry, and no definition
    mentions them); the falsifier checks that, and otherwise (or without a ``meaning``) the step is
    ``unknown`` with ``reason``.  The symbolic engine proves nothing through it."""

    expr: Expr
    reason: str
    meaning: Expr | None = None


finish(__name__)   # the methods of every expression node, made at once (see model/records.py)


# --------------------------------------------------------------------------- display

_PRECEDENCE = {Add: 1, Sub: 1, Mul: 2, Div: 2, Neg: 3, BigOp: 4, Expect: 8, Func: 5, Grad: 5, Pow: 6}


def show(expr: Expr) -> str:
    """Render an expression back to the language (ASCII operators, Unicode names)."""
    return _show(expr, 0)


def _wrap(text: str, inner: int, outer: int) -> str:
    return f"({text})" if inner < outer else text


def _show(e: Expr, outer: int) -> str:  # noqa: C901 - one case per node type
    match e:
        case Num(value=v):
            return str(v.numerator) if v.denominator == 1 else f"{float(v):g}"
        case Name():
            return e.key()
        case Placeholder():
            return "·"
        case Call(func=f, args=a, given=g):
            inner = ", ".join(_show(x, 0) for x in a)
            if g:
                inner += " | " + ", ".join(_show(x, 0) for x in g)
            return f"{f.key()}({inner})"
        case Add(left=l, right=r):
            return _wrap(f"{_show(l, 1)} + {_show(r, 2)}", 1, outer)
        case Sub(left=l, right=r):
            return _wrap(f"{_show(l, 1)} - {_show(r, 2)}", 1, outer)
        case Mul(left=l, right=r):
            return _wrap(f"{_show(l, 2)} {_show(r, 3)}", 2, outer)
        case Div(left=l, right=r):
            return _wrap(f"{_show(l, 2)}/{_show(r, 3)}", 2, outer)
        case Neg(operand=o):
            return _wrap(f"-{_show(o, 3)}", 3, outer)
        case Pow(base=b, exponent=x):
            return _wrap(f"{_show(b, 7)}^{_show(x, 7)}", 6, outer)
        case Func(name=n, arg=a):
            return _wrap(f"{n} {_show(a, 5)}", 5, outer)
        case Grad(param=p, operand=o):
            return _wrap(f"∇_{p} {_show(o, 5)}", 5, outer)
        case BigOp(kind=k, index=i, body=b, lower=lo, upper=hi, over=ov):
            k = "int" if e.integral else k
            if lo is not None:
                head = f"{k}_{{{i.key()}={_show(lo, 0)}}}^{{{_show(hi, 0) if hi is not None else ''}}}"
            elif ov is not None:
                head = f"{k}_{{{i.key()} ∈ {ov.key()}}}"
            else:
                head = f"{k}_{{{i.key()}}}"
            return _wrap(f"{head} {_show(b, 2)}", 4, outer)
        case Expect(variables=vs, dist=d, body=b):
            return f"E_{{{', '.join(v.key() for v in vs)} ~ {_show(d, 0)}}}[{_show(b, 0)}]"
        case Size(name=n):
            return f"|{n.key()}|"
        case Optimum(kind=k, variable=v, body=b):
            return _wrap(f"{k}_{{{v.key()}}} {_show(b, 5)}", 4, outer)
        case CondExpect(variables=vs, dist=d, body=b, given=g):
            head = f"E_{{{', '.join(v.key() for v in vs)} ~ {_show(d, 0)}}}" if d is not None else "E"
            return f"{head}[{_show(b, 0)} | {', '.join(_show(x, 0) for x in g)}]"
        case EvalAt(body=b, variable=v, value=x):
            return f"({_show(b, 0)})|_{{{v.key()}={_show(x, 0)}}}"
        case Opaque(expr=x):
            return _show(x, outer)
    return "?"

