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

The trusted base is this package plus the rewrites it applies, all listed by
:func:`trusted_rewrites` (each with the line of its docstring that states it).

*Finite sums.*  Every sum, product and expectation is over a finite range:
``sum_t`` runs over ``0 … T-1``, ``sum_x`` and ``E_{x~p}`` over the finite
domain of ``x`` (``1 … #x``), ``sum_τ``/``int_τ`` over finitely many
trajectories; an empty range sums to 0 and multiplies to 1, a range written
backwards is empty.  So ∇ may pass through any sum whose bounds do not
depend on θ.  An integral in the notes is read as such a finite sum: the
ledger marks its exchange with ∇ as *assumed*.

*Positivity.*  One test (:func:`~pgverify.kernel.terms.is_positive`, also
behind the ledger's :func:`positive_by_declaration`): numbers > 0,
probabilities of declared distributions (every distribution is positive
everywhere, whatever θ), ``fun … positive``, the positive symbols (γ, N, T,
domain sizes), ``exp``, and sums over nonempty ranges, products, quotients
and powers of positive terms.  The log rules and ``∇ prod = prod · sum ∇f/f``
use nothing else; every value of the language is real, so ``log exp u = u``.

*Normalization.*  A distribution summed over its own variables is 1; ``Pr_θ``
is normalized only when it is the rl default (initial state, policy and
dynamics, each normalized).

*The rewrites it trusts.*  BASE, always on (in :mod:`~pgverify.kernel.normalize`):
sympy's own evaluation (flattening, constant folding, ``x*1``, ``x+0``),
canonical names for bound variables, sums with number bounds written out, a
range shifted to start at 0, ``Sum(0) = 0``, ``Prod(1) = 1``, ``∇ c = 0`` for
a number, ``∇_θ θ = 1``, ``∇_θ f(…, θ, …)`` read as the partial derivative of
an opaque function.  Every other rewrite belongs to a catalogue rule and lives
in its family module (``pgverify/rules/<family>.py``); citing a rule switches
on the rewrites its entry lists (``Rule.rewrites``: its own and those of the
rules it rests on, so ``baseline`` switches on the definitions, linearity,
normalization and the zero-mean score) and its kernel options
(``Rule.kernel_options``: algebraic comparison, unfolding normalized
distributions).  Without a citation (``rules=None``) everything is on.

*Comparison.*  Structural equality after renaming bound variables; with the
algebraic comparison, sympy's ``expand``/``cancel`` on the difference with
every sum, product and gradient frozen into an opaque symbol (so sympy never
evaluates a sum with its own conventions), and sums whose ranges differ by a
few terms aligned by peeling those terms off.

*Lemmas.*  A cited lemma ``name: L = R`` rewrites ``L -> R`` (or ``R -> L``)
wherever L occurs (up to a constant factor) in a normalized side, its free
variables matching anything but a variable bound inside the match; sums are
split linearly to expose it.  Lemmas are used only when cited (they are
assumptions, not proofs), and only ``=`` lemmas.

*Inequalities* (:mod:`~pgverify.kernel.inequalities`).  ``≤ < ≥ >`` are proved
from the signs of the difference's terms (numbers, positivity, even powers,
sums of nonnegative terms, monotone ``log``/``exp``) and four narrow facts,
each switched on by the catalogue rule of its name (all without a citation):
``jensen`` (log and exp, over a whole declared distribution), ``cauchy-schwarz``
(three sums over one range with ``u^2 = v z``, ``v, z ≥ 0``), ``kl-nonnegative``
(two declared distributions over one whole domain) and ``entropy-bounds`` (a
declared distribution's value is at most 1; ``H ≤ log n`` over the n values of
its domain).  Each states its exact shape and assumptions in that module.

*Sharing.*  The proofs of one step (every rule, then the cited ones) share one
translation of its sides, and the proof with the cited rules reuses the full
one when every rewrite that fired is cited and every option it asked about is
set as before (the normalization then takes the same path).

So ``proved`` only ever means "true in every finite model, wherever both
sides are defined" -- the models ``falsify`` draws from.  ``∝`` is not
supported.  ``≈`` is proved like ``=``: a side that equals the other
identically is an unbiased estimate of it.
"""

from __future__ import annotations

from .normalize import rule_names, trusted_rewrites
from .prove import acts, normal_form, prove
from .terms import Proof, Unsupported
from .translate import positive_by_declaration

__all__ = ["Proof", "Unsupported", "acts", "normal_form", "positive_by_declaration", "prove", "rule_names", "trusted_rewrites"]
