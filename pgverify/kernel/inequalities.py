"""Inequalities the kernel proves: ``a ≤ b`` (``<``, ``≥``, ``>``) when ``b - a`` is shown nonnegative (positive).

Both sides are normalized as for an equality; the difference is then read
term by term, with only these facts (each true in every finite model of the
declarations).  Always on (credited to ``algebra``):

* a number's sign is its sign;
* a value positive by the declarations (``terms.is_positive``: a distribution's
  value, ``exp``, a sample count, …) is positive, and a square (an even power) is
  nonnegative;
* signs multiply and add as usual; a sum (or expectation) over a range of
  nonnegative terms is nonnegative, an empty range giving 0 (the language's
  convention), so sums and expectations of termwise inequalities follow once
  the two sums are merged over the same range;
* ``log`` and ``exp`` are increasing: ``log A ≤ log B`` when ``0 < A ≤ B``.

Four narrow facts, each switched on by the catalogue rule of its name
(``pgverify/rules/inequalities.py``; all of them without a citation) and
credited to it.  Each is a pair of terms of the difference (with the same
positive number as coefficient) or one sum, matched by its shape; anything
that does not have exactly that shape is left to the other facts, or to the
numeric models:

* ``jensen``: ``log sum_x w(x) X(x) - sum_x w(x) log X(x) ≥ 0`` and
  ``sum_x w(x) exp X(x) - exp sum_x w(x) X(x) ≥ 0``, where ``sum_x`` runs over
  the whole finite domain of ``x`` and ``w`` is a declared (normalized)
  distribution of ``x`` (so the weights are positive and sum to 1), and, for
  the log, ``X`` is positive by the declarations.  Never strict (a constant X
  gives equality).
* ``cauchy-schwarz``: ``(sum u)^2 ≤ (sum v)(sum z)`` and ``sum u ≤ sqrt(sum v
  sum z)`` for three sums over the same range whose bodies satisfy
  ``u^2 = v z`` identically, ``v ≥ 0`` and ``z ≥ 0`` (so ``|u| = sqrt(v) sqrt(z)``
  termwise): ``E[XY]^2 ≤ E[X^2] E[Y^2]`` and ``(sum x y)^2 ≤ sum x^2 sum y^2``.
  Never strict.
* ``kl-nonnegative`` (Gibbs): ``sum_x p(x) (log p(x) - log q(x)) ≥ 0`` for two
  declared distributions ``p ≠ q`` of ``x``, normalized over the same whole
  domain.
* ``entropy-bounds``: a declared distribution's value is at most 1 (positive
  values that sum to 1 over a finite domain), so its ``log`` is ``≤ 0`` and
  ``H = -sum_x p log p ≥ 0``; and ``log n + sum_x p(x) log p(x) ≥ 0`` when
  ``sum_x`` runs over the ``n`` values of x's domain and p is normalized
  over it (``H ≤ log n``, n the size of that domain, written ``log(sum_x 1)``).

Nothing else is assumed: another shape of these inequalities (a weight that is
not a normalized distribution, an upper bound by a number, a sum over several
variables for Jensen) is left to the numeric models (``checked`` at best).
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp  # type: ignore[import-untyped]
from sympy.core.function import AppliedUndef  # type: ignore[import-untyped]

from ..rules.base import ALGEBRAIC_COMPARISON, CAUCHY_SCHWARZ, ENTROPY_BOUNDS, JENSEN, KL_NONNEGATIVE
from .compare import same
from .normalize import Normalizer
from .terms import Proof, Sum, Weight, canon, is_positive, outer

__all__ = ["prove_inequality"]

_FLIP = {"≥": "≤", ">": "<"}

# signs: positive, nonnegative, negative, nonpositive, zero (None: unknown)
POS, NONNEG, NEG, NONPOS, ZERO = "+", "0+", "-", "0-", "0"
_AT_LEAST_ZERO = (POS, NONNEG, ZERO)
_AT_MOST_ZERO = (NEG, NONPOS, ZERO)


class _Reader:
    """Reads signs of one difference with the facts switched on; remembers which facts it used."""

    def __init__(self, norm: Normalizer):
        self.norm = norm                 # options, normalized(), tr, run()
        self.options = norm.options
        self.used: set[str] = set()

    # ---------------------------------------------------------------- distributions

    def is_probability(self, e: sp.Expr) -> bool:
        """A value of a declared distribution (or of the normalized default ``Pr_θ``): in (0, 1]."""
        if not isinstance(e, AppliedUndef):
            return False
        if e.func in self.norm.tr.dists:
            return True
        template = self.norm.tr.defs.get(e.func)
        return template is not None and template.normalized_over is not None

    def weights(self, s: sp.Expr) -> Iterable[tuple[sp.Expr, sp.Expr]]:
        """For a sum over one index and a whole domain: each (w, body / w) with w a normalized weight of it."""
        if not isinstance(s, sp.Sum) or len(s.limits) != 1:
            return
        body, i, lo, hi = outer(s)
        for w in sorted(body.atoms(AppliedUndef), key=sp.default_sort_key):
            if not self.norm.normalized(w, i, lo, hi):
                continue
            # w may occur in the rest too (p log p: the entropy); dividing by it is safe, it is positive
            yield w, sp.expand(body / w, power_base=False, log=False, deep=False)

    # ---------------------------------------------------------------- signs

    def sign(self, e: sp.Expr) -> str | None:
        """The sign of ``e`` from the declarations and the facts switched on (None when not known)."""
        if e.is_Number:
            return POS if e > 0 else NEG if e < 0 else ZERO
        if is_positive(e):
            return POS
        if isinstance(e, Weight):
            return self.sign(e.args[0])
        if isinstance(e, sp.Mul):
            return _product(self.sign(x) for x in e.args)
        if isinstance(e, sp.Add):
            return _total(self.sign(x) for x in e.args)
        if isinstance(e, sp.Pow):
            return self._power(e)
        if isinstance(e, sp.Sum):
            return self._sum(e)
        if isinstance(e, sp.log):
            return self._log(e.args[0])
        if e.is_nonnegative is True:
            return NONNEG
        if e.is_nonpositive is True:
            return NONPOS
        return None

    def _power(self, e: sp.Pow) -> str | None:
        base, exponent = self.sign(e.base), e.exp
        if exponent.is_Integer and exponent % 2 == 0:
            return POS if base in (POS, NEG) else NONNEG
        if base == POS:
            return POS
        if base in (NONNEG, ZERO) and exponent.is_positive is True:
            return NONNEG
        if exponent.is_Integer and exponent > 0 and base in (NEG, NONPOS):
            return base                       # an odd power keeps the sign
        return None

    def _sum(self, e: sp.Sum) -> str | None:
        if KL_NONNEGATIVE in self.options and self._kl(e):
            self.used.add(KL_NONNEGATIVE)
            return NONNEG
        inner = self.sign(e.function)
        if inner in (POS, NONNEG, ZERO):
            return NONNEG                     # an empty range gives 0
        if inner in (NEG, NONPOS):
            return NONPOS
        return None

    def _log(self, x: sp.Expr) -> str | None:
        if x.is_Number and x > 0:
            return POS if x > 1 else NEG if x < 1 else ZERO
        if ENTROPY_BOUNDS in self.options and self.is_probability(x):
            self.used.add(ENTROPY_BOUNDS)
            return NONPOS                     # a probability is at most 1
        if isinstance(x, sp.Symbol) and x.is_integer and x.is_positive:
            return NONNEG                     # a count is at least 1
        return None

    def _kl(self, s: sp.Expr) -> bool:
        """``sum_x p (log p - log q)`` over the whole domain, p ≠ q normalized there (Gibbs' inequality)."""
        if not isinstance(s, sp.Sum) or len(s.limits) != 1:
            return False
        _, i, lo, hi = outer(s)
        for w, rest in self.weights(s):
            terms = set(sp.Add.make_args(sp.expand(sp.expand_log(rest, force=False), log=False)))
            if len(terms) != 2 or sp.log(w) not in terms:
                continue
            (other,) = terms - {sp.log(w)}
            q = (-other).args[0] if isinstance(-other, sp.log) else None
            if q is not None and q != w and self.norm.normalized(q, i, lo, hi):
                return True
        return False

    # ---------------------------------------------------------------- pairs of terms

    def gap(self, high: sp.Expr, low: sp.Expr) -> str | None:
        """The fact that shows ``high - low ≥ 0`` for two terms of the difference (None: none does)."""
        if JENSEN in self.options and (self._jensen(high, low, sp.log) or self._jensen(low, high, sp.exp)):
            return JENSEN
        if CAUCHY_SCHWARZ in self.options and self._cauchy_schwarz(high, low):
            return CAUCHY_SCHWARZ
        return None

    def both(self, x: sp.Expr, y: sp.Expr) -> str | None:
        """The fact that shows ``x + y ≥ 0`` for two terms of the difference (the entropy's upper bound)."""
        if ENTROPY_BOUNDS in self.options and (self._entropy_upper(x, y) or self._entropy_upper(y, x)):
            return ENTROPY_BOUNDS
        return None

    def _jensen(self, applied: sp.Expr, summed: sp.Expr, f: type) -> bool:
        """``log sum w X ≥ sum w log X`` (``f = log``, X > 0; ``applied`` the larger) and ``exp sum w X ≤
        sum w exp X`` (``f = exp``; ``applied`` the smaller)   [w normalized over the whole domain]"""
        if not isinstance(applied, f) or not isinstance(summed, sp.Sum) or not isinstance(applied.args[0], sp.Sum):
            return False
        inner = applied.args[0]
        if inner.limits != summed.limits:
            return False
        for w, x in self.weights(inner):
            if f is sp.log and not is_positive(x):
                continue
            for w2, fx in self.weights(summed):
                if w2 == w and same(fx, self.norm.run(f(x)), frozenset({ALGEBRAIC_COMPARISON})):
                    return True
        return False

    def _cauchy_schwarz(self, high: sp.Expr, low: sp.Expr) -> bool:
        """``(sum u)^2 ≤ sum v sum z`` and ``sum u ≤ sqrt(sum v sum z)``   [same range; u^2 = v z, v ≥ 0, z ≥ 0]"""
        if isinstance(low, sp.Pow) and low.exp == 2 and isinstance(low.base, sp.Sum):
            factors = _factors(high)
        elif isinstance(low, sp.Sum):
            roots = _factors(high)
            if len(roots) != 2 or any(not (isinstance(r, sp.Pow) and r.exp == sp.Rational(1, 2)) for r in roots):
                if isinstance(high, sp.Pow) and high.exp == sp.Rational(1, 2):
                    roots = [sp.sqrt(f) for f in _factors(high.base)]
                else:
                    return False
            factors = [r.base for r in roots]
            low = low ** 2
        else:
            return False
        if len(factors) != 2 or not all(isinstance(f, sp.Sum) for f in factors):
            return False
        s, (v, z) = low.base, factors
        if not (s.limits == v.limits == z.limits):
            return False
        u, v, z = s.function, v.function, z.function
        if self.sign(v) not in _AT_LEAST_ZERO or self.sign(z) not in _AT_LEAST_ZERO:
            return False
        return same(u ** 2, v * z, frozenset({ALGEBRAIC_COMPARISON}))

    def _entropy_upper(self, log_n: sp.Expr, s: sp.Expr) -> bool:
        """``log n + sum_{x=1}^{n} p log p ≥ 0``   [p normalized over the n values of x]"""
        if not isinstance(log_n, sp.log) or not isinstance(s, sp.Sum) or len(s.limits) != 1:
            return False
        n = log_n.args[0]
        if isinstance(n, sp.Sum) and n.function == 1 and len(n.limits) == 1 and n.limits[0][1] == 1:
            n = n.limits[0][2]               # log(sum_x 1), not yet counted
        if s.limits[0][2] != n:
            return False
        return any(sp.expand(rest - sp.log(w)) == 0 for w, rest in self.weights(s))


def _factors(e: sp.Expr) -> list[sp.Expr]:
    """A product's factors, a square counted twice."""
    out: list[sp.Expr] = []
    for f in sp.Mul.make_args(e):
        if isinstance(f, sp.Pow) and f.exp == 2:
            out += [f.base, f.base]
        else:
            out.append(f)
    return out


def _product(signs: Iterable[str | None]) -> str | None:
    result = POS
    for s in signs:
        if s is None:
            return None
        if s == ZERO or result == ZERO:
            result = ZERO
            continue
        negative = (result in (NEG, NONPOS)) != (s in (NEG, NONPOS))
        strict = result in (POS, NEG) and s in (POS, NEG)
        result = (NEG if strict else NONPOS) if negative else (POS if strict else NONNEG)
    return result


def _total(signs: Iterable[str | None]) -> str | None:
    listed = list(signs)
    if any(s is None for s in listed):
        return None
    if all(s in _AT_LEAST_ZERO for s in listed):
        return POS if POS in listed else NONNEG if NONNEG in listed else ZERO
    if all(s in _AT_MOST_ZERO for s in listed):
        return NEG if NEG in listed else NONPOS if NONPOS in listed else ZERO
    return None


def _strip_weights(e: sp.Expr) -> sp.Expr:
    """The expectation marker is the identity: read ``E(p)`` as ``p``."""
    return e.replace(lambda x: isinstance(x, Weight), lambda x: x.args[0]) if e.has(Weight) else e


def prove_inequality(a: sp.Expr, b: sp.Expr, relation: str, norm: Normalizer) -> Proof:
    """``a relation b`` for normalized sides; ``norm`` is the Normalizer (its options say which facts are on)."""
    if relation in _FLIP:
        a, b, relation = b, a, _FLIP[relation]
    strict = relation == "<"
    a, b = _strip_weights(a), _strip_weights(b)
    # the rules the normalization of the sides used are credited too (a definition unfolded, an expectation read)
    if _monotone(a, b, strict, norm):
        return Proof(True, rules_used=tuple(sorted({"algebra"} | set(norm.used))))
    terms = list(sp.Add.make_args(sp.expand(b - a, deep=False, power_base=False, log=False, mul=True,
                                            multinomial=False)))
    # the terms as they stand, then with sums over one range and of one coefficient merged (a log split by
    # the normalization, Σ p log g + Σ p log h, is Jensen's Σ p log(g h) again)
    for attempt in (terms, _merge_alike(terms)):
        reader = _Reader(norm)
        if _difference_sign(attempt, reader, strict):
            return Proof(True, rules_used=tuple(sorted({"algebra"} | set(norm.used) | reader.used)))
    return Proof(False, "the difference of the two sides is not shown " + ("positive" if strict else "nonnegative"))


def _difference_sign(terms: list[sp.Expr], reader: _Reader, strict: bool) -> bool:
    """Are the terms' sum ≥ 0 (> 0 with ``strict``)?  Pairs of terms a fact bounds go first, the rest by signs."""
    rest = _without_gaps(terms, reader)
    remainder = _merge_sums(sp.expand(sp.Add(*rest), power_base=False, log=False, mul=True, multinomial=False))
    sign = reader.sign(remainder)
    return sign == POS if strict else sign in _AT_LEAST_ZERO


def _merge_alike(terms: list[sp.Expr]) -> list[sp.Expr]:
    """``c Σ_i f + c Σ_i g`` as ``c Σ_i (f + g)``: sums over the same range with the same number as coefficient."""
    groups: dict[tuple, list[sp.Expr]] = {}
    out: list[sp.Expr] = []
    for term in terms:
        c, body = term.as_coeff_Mul()
        if isinstance(body, sp.Sum):
            groups.setdefault((c, body.limits), []).append(body.function)
        else:
            out.append(term)
    return out + [c * Sum(sp.Add(*bodies), *limits) for (c, limits), bodies in groups.items()]


def _without_gaps(terms: list[sp.Expr], reader: _Reader) -> list[sp.Expr]:
    """Remove pairs ``c X - c Y`` (c > 0) with ``Y ≤ X`` by a fact, and pairs ``c X + c Y`` with ``X + Y ≥ 0``."""
    rest = list(terms)
    changed = True
    while changed:
        changed = False
        for j, first in enumerate(rest):
            c1, x1 = first.as_coeff_Mul()
            for k in range(j + 1, len(rest)):
                c2, x2 = rest[k].as_coeff_Mul()
                fact = None
                if c1 == -c2 and c1 != 0:
                    high, low = (x1, x2) if c1 > 0 else (x2, x1)
                    fact = reader.gap(canon(high), canon(low))
                elif c1 == c2 and c1 > 0:
                    fact = reader.both(canon(x1), canon(x2))
                if fact is not None:
                    reader.used.add(fact)
                    rest = rest[:j] + rest[j + 1:k] + rest[k + 1:]
                    changed = True
                    break
            if changed:
                break
    return rest


def _monotone(a: sp.Expr, b: sp.Expr, strict: bool, norm: Normalizer) -> bool:
    """``log A ≤ log B`` from ``0 < A ≤ B`` and ``exp A ≤ exp B`` from ``A ≤ B``."""
    if isinstance(a, sp.log) and isinstance(b, sp.log) and is_positive(a.args[0]):
        return prove_inequality(a.args[0], b.args[0], "<" if strict else "≤", norm).proved
    if isinstance(a, sp.exp) and isinstance(b, sp.exp):
        return prove_inequality(a.args[0], b.args[0], "<" if strict else "≤", norm).proved
    return False


def _merge_sums(e: sp.Expr) -> sp.Expr:
    """``Σ_i f - Σ_i g`` as ``Σ_i (f - g)`` for sums over the same range (so termwise facts apply)."""
    groups: dict[tuple, list[sp.Expr]] = {}
    rest: list[sp.Expr] = []
    for term in sp.Add.make_args(e):
        coefficient, body = term.as_independent(sp.Sum, as_Add=False)
        if isinstance(body, sp.Sum) and coefficient.is_Number:
            groups.setdefault(body.limits, []).append(coefficient * body.function)
        else:
            rest.append(term)
    merged = [Sum(_merge_sums(sp.expand(sp.Add(*bodies), power_base=False, log=False)), *limits)
              for limits, bodies in groups.items()]
    return sp.Add(*(rest + merged))
