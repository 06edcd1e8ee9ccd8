"""Normalization: rewrites applied bottom-up to a fixpoint, switched on by the rules a step cites.

A rewrite is a pure function ``(node, kernel) -> node | None`` (a
:class:`pgverify.rules.base.Rewrite`).  The rules' own rewrites live with the
rules, in ``pgverify/rules/<family>.py``; this module holds only the BASE
rewrites, always on, and discovers the others from the catalogue: citing a
rule switches on the rewrites it lists (``Rule.rewrites``) and its kernel
options (``Rule.kernel_options``); ``rules=None`` switches on everything.
Among the rewrites of one node type the lowest ``priority`` is tried first,
and the first that changes the node wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import sympy as sp  # type: ignore[import-untyped]
from sympy.core.function import AppliedUndef  # type: ignore[import-untyped]

from ..model.records import finish, record
from ..rules.base import ALGEBRAIC_COMPARISON, KernelView, Rewrite, rewrite
from .terms import MAX_UNROLL, Grad, Product, Sum, Unsupported, Weight, distribute, free_of, outer, rebuild_bigop
from .translate import Translator

__all__ = ["Normalizer", "Switches", "WatchedOptions", "all_switches", "rule_names", "switches", "trusted_rewrites"]

MAX_REWRITES = 4000     # rewrites per normalization before giving up

# the sympy class of each node type a rewrite may be registered for (``Rewrite.node``)
NODE_CLASSES: dict[str, type] = {"Sum": sp.Sum, "Product": sp.Product, "Grad": Grad, "Weight": Weight,
                                 "log": sp.log, "call": AppliedUndef}


@record(slots=False)
class Switches:
    """What a normalization may use: rewrites (besides BASE) and kernel options."""

    rewrites: frozenset[Rewrite]
    options: frozenset[str]

    def __or__(self, other: Switches) -> Switches:
        return Switches(self.rewrites | other.rewrites, self.options | other.options)

    def without(self, option: str) -> Switches:
        """The same switches with one kernel option off."""
        return Switches(self.rewrites, self.options - {option})


def switches(rule_names: Iterable[str]) -> Switches:
    """What citing ``rule_names`` switches on (names that are not catalogue rules, such as lemmas, add nothing)."""
    from .. import rules

    found = [rules.rule(name) for name in rule_names if rules.is_rule(name)]
    return Switches(frozenset(rules.rewrite_named(r) for entry in found for r in entry.rewrites),
                    frozenset().union(*(entry.kernel_options for entry in found)))


@cache
def all_switches() -> Switches:
    """Every rewrite and option of the catalogue (``prove(..., rules=None)``)."""
    from .. import rules

    return switches(entry.name for entry in rules.RULES)


def rule_names() -> tuple[str, ...]:
    """The catalogue rules the kernel can apply: those with a rewrite or a kernel option."""
    from .. import rules

    return tuple(entry.name for entry in rules.RULES if entry.rewrites or entry.kernel_options)


def trusted_rewrites() -> list[Rewrite]:
    """Every rewrite the kernel may apply (BASE and the catalogue's), in the order it tries them."""
    return sorted(BASE | all_switches().rewrites, key=lambda r: (r.priority, r.name))


def rewrite_named(name: str) -> Rewrite:
    """A catalogue rewrite by its function's name (the kernel uses ``split_sum`` to expose lemmas)."""
    from .. import rules

    return rules.rewrite_named(name)


# --------------------------------------------------------------------------- BASE: always on

@rewrite("Sum", priority=40, credits=())
def empty_body(e: sp.Expr, kernel: KernelView) -> sp.Expr | None:
    """``sum_i 0 -> 0``"""
    return sp.Integer(0) if outer(e)[0] == 0 else None


@rewrite("Product", priority=50, credits=())
def unit_body(e: sp.Expr, kernel: KernelView) -> sp.Expr | None:
    """``prod_i 1 -> 1``"""
    return sp.Integer(1) if outer(e)[0] == 1 else None


def _unroll(e: sp.Expr) -> sp.Expr | None:
    body, i, lo, hi = outer(e)
    if not (lo.is_Integer and hi.is_Integer) or hi - lo + 1 > MAX_UNROLL:
        return None
    terms = [body.xreplace({i: sp.Integer(k)}) for k in range(int(lo), int(hi) + 1)]
    return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)


@rewrite("Sum", priority=60, credits=())
def unroll_sum(e: sp.Expr, kernel: KernelView) -> sp.Expr | None:
    """``sum_{i=1}^{3} f(i) -> f(1) + f(2) + f(3)``   [number bounds; an empty range is 0]"""
    return _unroll(e)


@rewrite("Product", priority=70, credits=())
def unroll_product(e: sp.Expr, kernel: KernelView) -> sp.Expr | None:
    """``prod_{i=1}^{3} f(i) -> f(1) f(2) f(3)``   [number bounds; an empty range is 1]"""
    return _unroll(e)


def _shift(e: sp.Expr) -> sp.Expr | None:
    body, i, lo, hi = outer(e)
    if lo == 0 or not i.is_integer:
        return None
    return rebuild_bigop(e, body.xreplace({i: i + lo}), (i, 0, hi - lo))


@rewrite("Sum", priority=80, credits=())
def shift_sum(e: sp.Expr, kernel: KernelView) -> sp.Expr | None:
    """``sum_{i=a}^{b} f(i) -> sum_{i=0}^{b-a} f(i+a)``   (the same terms)"""
    return _shift(e)


@rewrite("Product", priority=90, credits=())
def shift_product(e: sp.Expr, kernel: KernelView) -> sp.Expr | None:
    """``prod_{i=a}^{b} f(i) -> prod_{i=0}^{b-a} f(i+a)``"""
    return _shift(e)


# ---- normalization and eglp


# ---- linearity of sums and products


# ---- logarithms


@rewrite("Grad", priority=160, credits=())
def grad_basics(e: sp.Expr, kernel: KernelView) -> sp.Expr | None:
    """``∇_θ c -> 0`` (c a number), ``∇_θ θ -> 1``, ``∇_θ f(…, θ, …) -> ∂f/∂θ``, ``∇ ∂f -> ∂²f``"""
    x, theta = e.args
    if x.is_Number:
        return sp.Integer(0)
    if x == theta:
        return sp.Integer(1)
    if isinstance(x, AppliedUndef) and x.args.count(theta) == 1 and \
            all(a == theta or free_of(a, theta) for a in x.args):
        return sp.Derivative(x, theta)
    if isinstance(x, sp.Derivative) and isinstance(x.expr, AppliedUndef) and theta in x.expr.args:
        return sp.Derivative(x.expr, *x.variables, theta)
    return None


BASE = frozenset({empty_body, unit_body, unroll_sum, unroll_product, shift_sum, shift_product, grad_basics})


# --------------------------------------------------------------------------- the normalizer


class WatchedOptions(frozenset):
    """Kernel options that remember which of them were asked about (``option in options``).

    A normalization that never asked about an option gives the same normal form with or without
    it; so a second proof with other options may reuse it (``prove``'s per-step memo).
    """

    asked: set[str]

    def __new__(cls, options: Iterable[str]) -> WatchedOptions:
        made = super().__new__(cls, options)
        made.asked = set()
        return made

    def __contains__(self, option: object) -> bool:
        self.asked.add(option)  # type: ignore[arg-type]
        return frozenset.__contains__(self, option)


class Normalizer:
    """Applies the enabled rewrites bottom-up until nothing changes (the :class:`KernelView` rewrites read)."""

    def __init__(self, tr: Translator, switched: Switches):
        self.tr = tr
        self.options = WatchedOptions(switched.options)
        self.used: set[str] = set()
        self.fired: set[str] = set()     # the names of the rewrites that changed a node
        self.memo: dict[sp.Expr, sp.Expr] = {}
        self.budget = MAX_REWRITES
        enabled = sorted(BASE | switched.rewrites, key=lambda r: (r.priority, r.name))
        self.by_node: list[tuple[type, Rewrite]] = [(NODE_CLASSES[r.node], r) for r in enabled]

    def run(self, e: sp.Expr) -> sp.Expr:
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        result = self._normalize(e)
        self.memo[e] = result
        self.memo[result] = result
        return result

    def _normalize(self, e: sp.Expr) -> sp.Expr:
        if isinstance(e, (sp.Derivative, sp.Subs)) or (not e.args and not isinstance(e, AppliedUndef)):
            return e
        if isinstance(e, (sp.Sum, sp.Product)):
            body, i, lo, hi = outer(e)
            e = type(e)(self.run(body), (i, self.run(lo), self.run(hi)))
        else:
            args = tuple(self.run(a) for a in e.args)
            if args != e.args:
                e = e.func(*args)
        if not isinstance(e, sp.Basic) or (not e.args and not isinstance(e, AppliedUndef)):
            return e
        for node, rule in self.by_node:
            if isinstance(e, node):
                result = rule.apply(e, self)
                if result is not None and result != e:
                    self.budget -= 1
                    if self.budget < 0:
                        raise Unsupported("the normalization did not terminate")
                    self.used.update(rule.credits)
                    self.fired.add(rule.name)
                    return self.run(result)
        return e

    def expand_body(self, body: sp.Expr) -> sp.Expr:
        """Distribute a sum's body over ``+`` (with ``algebra``, also ``x^(a+b)`` and ``exp(a+b)``)."""
        return distribute(body, ALGEBRAIC_COMPARISON in self.options)

    def normalized(self, w: sp.Expr, i: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> bool:
        """Does ``sum_{i=lo}^{hi} w`` sum a normalized distribution over its own variable?"""
        if not isinstance(w, AppliedUndef) or not w.args or w.args[0] != i or lo != 1:
            return False
        if any(i in a.free_symbols for a in w.args[1:]):
            return False
        info = self.tr.dists.get(w.func)
        if info is not None:
            return info.n_vars == 1 and hi == self.tr.size(info.var_domains[0])
        template = self.tr.defs.get(w.func)
        return template is not None and template.normalized_over is not None and \
            hi == self.tr.size(template.normalized_over)


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
