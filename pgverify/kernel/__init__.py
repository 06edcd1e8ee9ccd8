"""The kernel: the only code that can make a step ``proved``.

A step ``A = B`` is proved when both sides, translated to sympy and rewritten
to a normal form, come out the same.  Four small modules, in the order a
proof runs through them:

* :mod:`~pgverify.kernel.translate`: the typed AST to sympy, exactly as
  ``falsify`` evaluates it (never by parsing text);
* :mod:`~pgverify.kernel.normalize`: rewrites applied bottom-up to a
  fixpoint, switched on by the rules a step cites;
* :mod:`~pgverify.kernel.compare`: structural equality after renaming bound
  variables, then sympy's algebra on a frozen difference, then range alignment;
* :mod:`~pgverify.kernel.prove`: the entry point, and cited lemmas.

Everything else in pgverify (the falsifier, the diagnosis, the ledger of side
conditions) may refute, label or annotate a step, but only :func:`prove`
can return ``proved=True``, and the checker reaches it through one door,
``checker.prove_step``.

What the kernel assumes
-----------------------

Soundness: every rewrite is an equivalence under the semantics of
``falsify`` (finite domains, empty ranges sum to 0, distributions positive
and normalized), so ``proved`` only ever means "equal in every finite model,
wherever both sides are defined".  Log rules need positivity, known only for
distributions, ``fun … positive``, ``exp``, and sums/products/powers of those.

Always on (BASE): sympy's own evaluation (flattening, constant folding,
ordering, ``x*1``, ``x+0``), canonical names for bound variables, sums with
number bounds written out, a range ``sum_{i=a}^{b}`` shifted to start at 0,
``Sum(0) = 0``, ``Prod(1) = 1``, ``∇ c = 0`` for a number, ``∇_θ θ = 1``, and
``∇_θ f(…, θ, …)`` read as the partial derivative of an opaque function.

Rule scopes (what citing a rule switches on):

``definition``
    unfold user ``def``s (functions and constants) and the rl defaults
    ``Pr_θ(τ) = ρ0(s_0) prod_t π_θ(a_t|s_t) P(s_{t+1}|s_t,a_t)`` and
    ``J(θ) = E_{τ~π_θ}[R(τ)]``; when ``Pr_θ``'s definition lays a trajectory
    out step by step (``s_0 … s_2``, ``a_0, a_1``), a sum over trajectories
    becomes nested sums over those components.
``expectation``
    ``E_{x~p}[f] -> sum_x p(x) f`` (drop the expectation marker).
``linearity``
    split sums, products, gradients (and so expectations) over ``+``/``*``,
    pull factors free of the index (of θ, for ∇) out, count constant sums,
    and move ∇ through a finite sum (a finite sum is a repeated ``+``).
``algebra``
    sum linearity and counting, splitting products of products, and the
    algebraic comparison above.
``log-product`` / ``log-exp``
    ``log(a b) -> log a + log b``, ``log(a^k) -> k log a``,
    ``log prod_t f -> sum_t log f`` (all for positive factors), ``log exp u -> u``.
``log-derivative``
    ``∇ log u -> ∇u / u`` (so ``p ∇ log p`` and ``∇p`` meet).
``theta-independence``
    ``∇_θ X -> 0`` when X does not depend on θ, plus moving ∇ through finite
    sums and over ``+`` (the step cannot be stated otherwise).
``exchange``
    ``∇ sum_x f -> sum_x ∇ f`` (the range never depends on θ), including an
    expectation written as a sum, plus ∇ over ``+`` and θ-free factors.
``chain-rule`` / ``product-rule``
    differentiate composites and products: ``∇ exp u``, ``∇ u^k``,
    ``∇ log u``, ``∇ (f g)``, ``∇ prod_t f = prod_t f · sum_t ∇f / f``
    (f positive), ``∇ f(g(θ))`` for opaque f.
``normalization``
    ``sum_x c p(x|…) -> c`` for a declared distribution summed over its own
    variable (and ``Pr_θ`` when it is the rl default), with or without the
    expectation marker, ``sum_x c ∂p(x|…) -> 0``, counting constant sums.
``eglp``
    ``sum_x c p(x) ∇ log p(x) -> 0`` (hence ``E_{x~p}[c ∇ log p(x)] = 0``), and
    everything ``normalization`` does.
``tower``, ``baseline``, ``advantage``, ``reward-to-go``, ``discount``, ``kl``, …
    the catalogue's composite rules are small theorems: each switches on the
    rules it rests on (see ``_CAPABILITIES``), e.g. ``baseline`` = definition,
    expectation, linearity, normalization, eglp, log-derivative, exchange.
a cited lemma ``name: L = R``
    rewrite ``L -> R`` (or ``R -> L``) wherever L occurs (up to a constant
    factor) in a normalized side, its free variables matching anything but a
    variable bound inside the match; sums are split linearly to expose it.
    Lemmas are used only when cited (they are assumptions, not proofs), and
    only ``=`` lemmas.

Relations ``≤ ≥ ∝`` are not supported.  ``≈`` is proved like ``=``: a side that
equals the other identically is an unbiased estimate of it.
"""

from __future__ import annotations

from .normalize import rule_names
from .prove import normal_form, prove
from .terms import Proof, Unsupported
from .translate import positive_by_declaration

__all__ = ["Proof", "Unsupported", "normal_form", "positive_by_declaration", "prove", "rule_names"]
