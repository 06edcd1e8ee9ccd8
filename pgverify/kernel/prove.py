"""The entry point :func:`prove`: translate both sides, normalize them with the cited rules, compare.

A cited lemma ``name: L = R`` rewrites ``L -> R`` (or ``R -> L``) wherever L
occurs (up to a constant factor) in a normalized side, its free variables
matching anything but a variable bound inside the match; sums are split
linearly to expose it.  Lemmas are used only when cited (they are
assumptions, not proofs), and only ``=`` lemmas.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable
from dataclasses import field

import sympy as sp  # type: ignore[import-untyped]
from sympy.core.function import AppliedUndef  # type: ignore[import-untyped]

from .. import model as m
from ..model.records import finish, record
from ..semantics import Context
from .compare import same
from ..rules.base import ALGEBRAIC_COMPARISON, LEMMA_REWRITES, OPTION_CREDITS, UNFOLD_DISTRIBUTIONS
from .inequalities import prove_inequality
from .nonzero import unsafe_denominator
from .normalize import BASE, Normalizer, Switches, all_switches, rewrite_named, switches
from .terms import Proof, Unsupported, canon
from .translate import Translator

__all__ = ["acts", "normal_form", "prove"]

Rewriting = tuple[sp.Expr, sp.Expr]   # (pattern, replacement)


def _lemma_rewrites(tr: Translator, ctx: Context, names: Iterable[str], norm: Normalizer
                    ) -> list[tuple[Rewriting | None, Rewriting | None]]:
    """Each cited lemma as (L -> R, R -> L) pattern pairs, its free variables as wildcards."""
    out: list[tuple[Rewriting | None, Rewriting | None]] = []
    for name in names:
        lhs, relation, rhs = ctx.lemmas[name]
        if relation != "=":
            continue                      # an estimate (≈) is not an equality to rewrite with
        try:
            left = norm.run(tr.side(lhs))
            right = norm.run(tr.side(rhs))
        except Unsupported:
            continue
        left, right = canon(left, "κ"), canon(right, "κ")
        out.append((_as_pattern(left, right, tr), _as_pattern(right, left, tr)))
    return out


def _as_pattern(pattern: sp.Expr, replacement: sp.Expr, tr: Translator) -> Rewriting | None:
    """``pattern -> replacement`` with the pattern's free variables as wildcards (None for an atom).

    A lemma holds for every value of its free variables, so any instance of it may be used;
    a variable only on the replacement's side keeps its own value.
    """
    if pattern.is_Atom:
        return None
    wilds = {s: sp.Wild(f"w{k}") for k, s in enumerate(sorted(pattern.free_symbols - tr.globals, key=str))}
    return pattern.xreplace(wilds), replacement.xreplace(wilds)


def _rewrite_with(e: sp.Expr, pattern: sp.Expr, replacement: sp.Expr) -> sp.Expr:
    """Replace every sub-expression matching ``pattern`` (bound variables renamed locally)."""
    needed = {f.func for f in pattern.atoms(AppliedUndef)}
    heads = (type(pattern), sp.Mul) if not isinstance(pattern, sp.Add) else (sp.Add,)

    def walk(x: sp.Expr) -> sp.Expr:
        if not x.args or isinstance(x, (sp.Derivative, sp.Subs)):
            return x
        if not needed <= {f.func for f in x.atoms(AppliedUndef)}:
            return x                      # the pattern's functions are not all in here
        if isinstance(x, heads):
            local = canon(x, "κ")
            bound = {limit[0] for big in local.atoms(sp.Sum, sp.Product) for limit in big.limits}
            found = _instance(local.match(pattern), bound)
            if found is not None:
                return replacement.xreplace(found)
            if isinstance(x, sp.Mul) and not isinstance(pattern, sp.Add):
                found = _instance(local.match(_COEFFICIENT * pattern), bound)
                if found is not None and found.get(_COEFFICIENT, 0) != 0:
                    return (_COEFFICIENT * replacement).xreplace(found)
        return x.func(*[walk(a) for a in x.args])

    return walk(e)


_COEFFICIENT = sp.Wild("coefficient")


def _instance(found: dict | None, bound: set[sp.Symbol]) -> dict | None:
    """A match is an instance of the lemma only if no wildcard took a variable bound inside the match."""
    if found is None or any(value.has(*bound) for value in found.values() if bound):
        return None
    return found


# --------------------------------------------------------------------------- the entry point


def _strategies(caps: Switches) -> list[Switches]:
    """Normal forms to try: keep normalized distributions folded first, then unfold them too."""
    if UNFOLD_DISTRIBUTIONS in caps.options:
        return [caps.without(UNFOLD_DISTRIBUTIONS), caps]
    return [caps]


@record(frozen=False, slots=False)
class _Shown:
    """What one normalization showed, enough to give the same answer to a proof with other switches.

    A normalization follows the same path with fewer rewrites as long as every rewrite that fired is
    still on, and every option it asked about is on or off as before (the first rewrite that changes a
    node is the first one of those on): then its normal forms, and so its proof, are the same.
    """

    proof: Proof
    fired: frozenset[str]               # the rewrites that changed a node
    asked: dict[str, bool]              # the options asked about, and whether they were on
    structural: bool = True             # an equality shown without sympy's algebra

    def answers(self, caps: Switches) -> bool:
        """Would a normalization with ``caps`` give the same normal forms and the same proof?"""
        names = {r.name for r in caps.rewrites} | _BASE_NAMES
        return self.fired <= names and all((o in caps.options) == on for o, on in self.asked.items()) and \
            (self.structural or ALGEBRAIC_COMPARISON in caps.options)


@record(frozen=False, slots=False)
class _Step:
    """One step's sides, translated once and shared by its proofs (every rule, then the cited ones)."""

    lhs: m.Expr
    rhs: m.Expr
    ctx: Context
    tr: Translator | None = None
    left: sp.Expr | None = None
    right: sp.Expr | None = None
    refused: Proof | None = None        # the sides cannot be translated, or divide by what may be zero
    shown: dict[str, _Shown] = field(default_factory=dict)   # relation -> the proof with every rule

    def same_step(self, lhs: m.Expr, rhs: m.Expr, ctx: Context) -> bool:
        return self.lhs is lhs and self.rhs is rhs and self.ctx is ctx


_BASE_NAMES = frozenset(r.name for r in BASE)
# the last step proved in this thread: held alive by the memo itself, so an identity test cannot be fooled by
# a reused id; share=False translates every proof afresh (for measuring, /tmp scripts flip it)
_MEMO = threading.local()
SHARE = True


def _step(lhs: m.Expr, rhs: m.Expr, ctx: Context) -> _Step:
    """The step's translation, from the memo when the last proof was of the same step."""
    last = getattr(_MEMO, "step", None)
    if SHARE and last is not None and last.same_step(lhs, rhs, ctx):
        return last
    step = _Step(lhs, rhs, ctx)
    tr = Translator(ctx)
    try:
        step.tr, step.left, step.right = tr, tr.side(lhs), tr.side(rhs)
    except Unsupported as why:
        step.refused = Proof(False, f"unsupported: {why}")
    else:
        # no proof through a division by something that may be zero (sympy cancels x/x whatever x is)
        unsafe = unsafe_denominator([lhs, rhs], tr.side, Normalizer(tr, all_switches()).run)
        if unsafe is not None:
            step.refused = Proof(False, f"no proof: {unsafe}")
    _MEMO.step = step
    return step


def prove(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, rules: frozenset[str] | None = None) -> Proof:
    """Show ``lhs relation rhs`` symbolically, with every rule (``rules=None``) or only the cited ones.

    ``proved=True`` means the two sides are equal in every finite model of the
    declarations.  With ``rules`` given, only those rules' rewrites (plus the
    always-on BASE) are used, and a cited lemma may rewrite one side.  A proof of
    the step just proved (the same expressions) reuses its translation, and, when
    the cited rules switch on everything its normalization used, its proof.

    The cyclic garbage collector is paused meanwhile (as during the falsifier's ``compare``): a long proof
    allocates tens of thousands of sympy objects, and each collection they trigger would scan the whole
    heap (sympy's caches included); it runs again as before when the proof ends, and collects whatever
    cycles the proof left then.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _prove(lhs, rhs, relation, ctx, rules)
    finally:
        if enabled:
            gc.enable()


def _prove(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, rules: frozenset[str] | None) -> Proof:
    """``prove`` with the collector paused."""
    if relation not in ("=", "≈", "≤", "≥", "<", ">"):
        return Proof(False, "unsupported relation")
    step = _step(lhs, rhs, ctx)
    if step.refused is not None:
        return step.refused
    tr, left, right = step.tr, step.left, step.right
    assert tr is not None and left is not None and right is not None
    if canon(left) == canon(right) and relation not in ("<", ">"):
        return Proof(True)
    full = step.shown.get(relation)
    if relation in ("≤", "≥", "<", ">"):
        caps = all_switches() if rules is None else switches(rules)
        if full is not None and full.answers(caps):
            return full.proof
        norm = Normalizer(tr, caps)
        try:
            proof = prove_inequality(canon(norm.run(left)), canon(norm.run(right)), relation, norm)
        except Unsupported as why:
            return Proof(False, f"unsupported: {why}")
        if rules is None and proof.proved:
            step.shown[relation] = _Shown(proof, frozenset(norm.fired), _asked(norm, caps))
        return proof
    if rules is None:
        caps, lemma_names = all_switches(), []
    else:
        caps = switches(rules)
        lemma_names = sorted(r for r in rules if r in ctx.lemmas)
        if lemma_names:
            caps |= Switches(frozenset(rewrite_named(r) for r in LEMMA_REWRITES), frozenset())  # to expose a lemma
    remaining = ""
    for attempt in _strategies(caps):
        if full is not None and full.answers(attempt):
            return full.proof
        norm = Normalizer(tr, attempt)
        try:
            a, b = canon(norm.run(left)), canon(norm.run(right))
            if same(a, b, attempt.options):
                proof = Proof(True, rules_used=_used(norm, a, b, attempt))
                if rules is None:
                    step.shown[relation] = _Shown(proof, frozenset(norm.fired), _asked(norm, attempt),
                                                  structural=a == b or (a - b) == 0)
                return proof
            if lemma_names and _by_lemmas(tr, ctx, lemma_names, norm, a, b, attempt):
                return Proof(True, rules_used=tuple(sorted(norm.used | set(lemma_names))))
        except Unsupported as why:
            return Proof(False, f"unsupported: {why}")
        remaining = str(a - b)
    reason = "sympy could not show the difference is zero"
    if remaining:
        reason += f" (remaining: {remaining[:160]}{'…' if len(remaining) > 160 else ''})"
    return Proof(False, reason)


def acts(lhs: m.Expr, rhs: m.Expr, ctx: Context, rule: str) -> bool:
    """Does a rewrite the rule switches on (besides BASE) change some part of either side?

    The checker asks it of a cited rule the proof by the cited rules did not credit: a rule with
    nothing to act on in the step plays no role in it (``unused``).  When the sides cannot be read,
    the answer is yes (nothing is said).
    """
    step = _step(lhs, rhs, ctx)
    if step.refused is not None or step.tr is None:
        return True
    norm = Normalizer(step.tr, switches([rule]))
    try:
        norm.run(step.left)
        norm.run(step.right)
    except Unsupported:
        return True
    return bool(norm.fired - _BASE_NAMES)


def _asked(norm: Normalizer, caps: Switches) -> dict[str, bool]:
    """The options the normalization asked about, and whether each was on."""
    return {o: o in caps.options for o in sorted(norm.options.asked)}


def _used(norm: Normalizer, a: sp.Expr, b: sp.Expr, attempt: Switches) -> tuple[str, ...]:
    """The rules a proof used: its rewrites' credits, ``algebra`` for a comparison up to algebra, ``definition``
    when the normal form needed normalized distributions unfolded (the second strategy)."""
    used = set(norm.used)
    if a != b and (a - b) != 0:
        used.add(OPTION_CREDITS[ALGEBRAIC_COMPARISON])   # equal only up to algebra
    if UNFOLD_DISTRIBUTIONS in attempt.options and UNFOLD_DISTRIBUTIONS in norm.options.asked:
        used.add(OPTION_CREDITS[UNFOLD_DISTRIBUTIONS])
    return tuple(sorted(used))


def _by_lemmas(tr: Translator, ctx: Context, names: list[str], norm: Normalizer, a: sp.Expr, b: sp.Expr,
               caps: Switches) -> bool:
    """Rewrite both sides with the cited lemmas (all forward, all backward, then one at a time)."""
    pairs = _lemma_rewrites(tr, ctx, names, norm)
    forward = [f for f, _ in pairs if f is not None]
    backward = [r for _, r in pairs if r is not None]
    attempts = [forward, backward] + ([[x] for x in forward + backward] if len(pairs) > 1 else [])
    for rewritings in attempts:
        a2, b2 = a, b
        for pattern, replacement in rewritings:
            a2, b2 = _rewrite_with(a2, pattern, replacement), _rewrite_with(b2, pattern, replacement)
        if (a2, b2) == (a, b):
            continue
        if same(canon(norm.run(a2)), canon(norm.run(b2)), caps.options):
            return True
    return False


def normal_form(expr: m.Expr, ctx: Context, rules: frozenset[str] | None = None) -> sp.Expr:
    """The normal form the engine compares (for debugging and reports)."""
    tr = Translator(ctx)
    caps = all_switches() if rules is None else switches(rules)
    return canon(Normalizer(tr, caps).run(tr.side(expr)))


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
