"""Where a notes file's time steps start and end, learned from the file itself.

Notes lay out a trajectory in one of three ways (the *conventions* pgverify knows):

* ``τ = (s_0, a_0, …, a_{T-1}, s_T)``, ``p(τ) = ρ(s_0) ∏_{t=0}^{T-1} π P`` (the language's default);
* ``τ = (s_1, a_1, …, s_T, a_T)``, ``p(τ) = p(s_1) ∏_{t=1}^{T} π P`` (counting from one, as in many
  lecture notes; the product reaches ``s_{T+1}``);
* ``τ = (s_0, a_0, …, s_T, a_T)``, ``p(τ) = ρ(s_0) ∏_{t=0}^{T} π P`` (reaching ``s_{T+1}`` from zero).

A file that defines ``τ``'s distribution needs none of this: its definition lays the trajectory
out.  Otherwise the file's *evidence* decides, each piece allowing some of the layouts:

* the initial-state factor (``ρ(s_1)``, ``p(s_0)``, ``\\mu(s_1)``): time starts there;
* a tuple ``τ = (s_1, a_1, …, s_T, a_T)``: its first and last components;
* a state or action only some layouts have: ``s_0``, ``a_0`` (from 0), ``s_{T+1}``, ``a_T`` (up to ``a_T``);
* the bounds of a sum or product over ``t`` of terms in ``s_t``, ``a_t`` (``\\sum_{t=1}^{T} \\log
  π_θ(a_t|s_t)``).  Bounds that fit no layout (``\\sum_{t=1}^{T-1}``) are no evidence: more likely a
  slip than a convention, and refuted as one.

The rule: when some layout is allowed by every piece of evidence, the notes use it (what the evidence
leaves undecided keeps the default: time from 0, and up to ``a_{T-1}`` from 0, ``a_T`` from 1); without
evidence the default stands.  The notes then get a trajectory distribution (and, where pgverify
supplies it, a return ``R(τ)``) of that layout, in their own names for the initial-state
distribution and the dynamics.  When no layout fits all of the evidence, the notes disagree with
themselves, and every layout some piece allows stays open: each step is decided under every one
of them (:mod:`pgverify.open_conventions`): valid only if valid under all, refuted only if refuted
under all, otherwise ``unknown``, asking the author to define ``τ`` or ``p_θ(τ)``.  So a correct
step is never refuted for a convention pgverify guessed, nor a wrong one accepted for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import model as m
from ..model.conventions import OpenConventions


@dataclass(frozen=True)
class Convention:
    """A trajectory layout: the first time step and the last action's time (as a bound is written)."""

    start: int
    last: str          # "T - 1" or "T"

    def name(self) -> str:
        """The layout as a report names it."""
        b = self.start
        if self.last == "T - 1":
            return f"τ = (s_{b}, a_{b}, …, a_{{T-1}}, s_T)"
        return f"τ = (s_{b}, a_{b}, …, a_T, s_{{T+1}})"


DEFAULT = Convention(0, "T - 1")
CONVENTIONS = (DEFAULT, Convention(0, "T"), Convention(1, "T"))   # in order of preference
ALL = frozenset(CONVENTIONS)
DEFAULT_INITIAL, DEFAULT_DYNAMICS = "ρ_0", "P"

# the names notes give the initial-state distribution (a call of one of them on s_0 or s_1 is evidence)
_INITIAL_NAMES = frozenset({"ρ", "ρ_0", "ρ0", "μ", "μ_0", "p", "p_0", "P", "P_0", "d_0", "ν", "ν_0", "p_1", "ρ_1"})
_TUPLE_START = re.compile(r"\\tau\s*=\s*(?:\\left|\\big|\\Big)?\s*\(\s*s_\{?\s*([01])\s*\}?\s*,")
_TUPLE_END = re.compile(r",\s*([sa])_\{?\s*(T\s*[-+]\s*1|T)\s*\}?\s*(?:\\right|\\big|\\Big)?\s*\)")


@dataclass(frozen=True)
class Evidence:
    """One thing the notes say about their layout: what, and which layouts it allows."""

    what: str
    fits: frozenset[Convention]


@dataclass
class Learned:
    """What the notes' evidence leaves open, and the names they use."""

    open: tuple[Convention, ...]
    reason: str
    initial: str = DEFAULT_INITIAL
    dynamics: str = DEFAULT_DYNAMICS
    declared: set[tuple[str, int]] = field(default_factory=set)


def tuple_evidence(math: str) -> list[Evidence]:
    """A tuple definition of τ in one block of LaTeX (``\\tau = (s_1, a_1, \\ldots, s_T, a_T)``): read from the
    text, since a tuple with an ellipsis is no expression."""
    out = []
    for start in _TUPLE_START.finditer(math):
        b = int(start.group(1))
        out.append(Evidence(f"τ = (s_{b}, …)", frozenset(c for c in ALL if c.start == b)))
        end = _TUPLE_END.search(math, start.end(), start.end() + 200)
        if end is not None:
            letter, index = end.group(1), " ".join(end.group(2).replace("-", " - ").replace("+", " + ").split())
            last = {("a", "T"): "T", ("a", "T - 1"): "T - 1", ("s", "T + 1"): "T"}.get((letter, index))
            if (letter, index) == ("s", "T") and b == 0:
                last = "T - 1"
            if last is not None:
                out.append(Evidence(f"τ = (…, {letter}_{index.replace(' ', '')})",
                                    frozenset(c for c in ALL if c.last == last)))
    return out


def expression_evidence(expr: m.Expr) -> Iterable[Evidence]:
    """What one expression says about the layout (see the module's docstring)."""
    for node in m.nodes(expr):
        if isinstance(node, m.Call) and _initial_state(node) is not None:
            b = _initial_state(node)
            yield Evidence(m.show(node), frozenset(c for c in ALL if c.start == b))
        elif isinstance(node, m.Name) and node.base in ("s", "a") and len(node.sub) == 1 and node.sample is None:
            index = m.show(node.sub[0])
            if index == "0":
                yield Evidence(m.show(node), frozenset(c for c in ALL if c.start == 0))
            elif (node.base, index) in (("s", "T + 1"), ("a", "T")):
                yield Evidence(m.show(node), frozenset(c for c in ALL if c.last == "T"))
        elif isinstance(node, m.BigOp) and isinstance(node.lower, m.Num) and node.upper is not None \
                and not node.index.sub and _steps_in(node.body, node.index.key()):
            lower, upper = m.show(node.lower), m.show(node.upper)
            yield Evidence(f"{node.kind}_{{{node.index.key()}={lower}}}^{{{upper.replace(' ', '')}}}",
                           frozenset(c for c in ALL if str(c.start) == lower and c.last == upper))


def _initial_state(call: m.Call) -> int | None:
    """``ρ(s_1)``, ``p(s_0)``: the time of an initial-state probability, or None."""
    if call.given or len(call.args) != 1 or call.func.key() not in _INITIAL_NAMES:
        return None
    arg = call.args[0]
    if isinstance(arg, m.Name) and arg.base == "s" and len(arg.sub) == 1 and isinstance(arg.sub[0], m.Num) \
            and arg.sample is None and arg.sub[0].value in (0, 1):
        return int(arg.sub[0].value)
    return None


def _steps_in(body: m.Expr, index: str) -> bool:
    """Whether a sum's body has a state or action at the sum's own time (``a_t``, ``s_{t+1}``, ``a_{i,t}``)."""
    return any(isinstance(n, m.Name) and n.base in ("s", "a") and n.sub and     # s_t, a_{t+1}, s_{i,t}
               any(isinstance(x, m.Name) and x.key() == index for x in m.nodes(n.sub[-1])) for n in m.nodes(body))


def _dynamics_name(expr: m.Expr) -> str | None:
    """The notes' name for the dynamics: the function of ``f(s_{t+1} | s_t, a_t)``."""
    for node in m.nodes(expr):
        if isinstance(node, m.Call) and len(node.args) == 1 and len(node.given) == 2:
            nxt, (s, a) = node.args[0], node.given
            if isinstance(nxt, m.Name) and isinstance(s, m.Name) and isinstance(a, m.Name) and \
                    (nxt.base, s.base, a.base) == ("s", "s", "a") and nxt.sub and s.sub and \
                    m.show(nxt.sub[0]) == m.show(s.sub[0]) + " + 1":
                return node.func.key()
    return None


def learn(exprs: Iterable[m.Expr], extra: Iterable[Evidence] = ()) -> Learned:
    """The layouts the evidence of ``exprs`` (and ``extra``, the tuples) leaves open, and the notes' names."""
    learner = Learner(extra)
    for expr in exprs:
        learner.feed(expr)
    return learner.learned()


# the bases a call of one (three) arguments takes when it is an initial-state probability (the dynamics)
_STATE_BASES = {1: ("s",), 3: ("s", "s", "a")}


class Learner:
    """:func:`learn` one expression at a time, each walked once: the notes' expressions come from their
    packed derivations (``model.packed``), each unpacked once for every walk over the file."""

    def __init__(self, extra: Iterable[Evidence] = ()) -> None:
        # each piece of evidence once (in the order found): it is only ever used as a set (what fits all of
        # it, what any of it allows, what it says), and a note repeats the same bounds on every line
        self.evidence = dict.fromkeys(extra)
        self.initial: str | None = None
        self.dynamics: str | None = None
        # (name, number of arguments) of each call of one or three arguments that does not take states (and
        # an action last): a name is the notes' initial state or dynamics only if no call of it is here
        self.off_states: set[tuple[str, int]] = set()

    def feed(self, expr: m.Expr) -> None:
        self.evidence.update(dict.fromkeys(expression_evidence(expr)))
        for node in m.nodes(expr):
            if isinstance(node, m.Call):
                if self.initial is None and _initial_state(node) is not None:
                    self.initial = node.func.key()
                n = len(node.all_args)
                if n in _STATE_BASES and \
                        tuple(a.base if isinstance(a, m.Name) else "" for a in node.all_args) != _STATE_BASES[n]:
                    self.off_states.add((node.func.key(), n))
        self.dynamics = self.dynamics or _dynamics_name(expr)

    def learned(self) -> Learned:
        counted = [e for e in self.evidence if e.fits]       # bounds that fit no layout count for nothing
        consistent = set(ALL).intersection(*(e.fits for e in counted))
        if consistent:
            # what the evidence leaves undecided keeps the default: time from 0, up to a_{T-1} (up to a_T from 1)
            chosen: tuple[Convention, ...] = (next(c for c in CONVENTIONS if c in consistent),)
        else:
            # the notes disagree with themselves: every layout some of their evidence allows stays open
            chosen = tuple(c for c in CONVENTIONS if any(c in e.fits for e in counted))
        said = sorted({e.what for e in counted})
        shown = ", ".join(said[:4]) + (", …" if len(said) > 4 else "")
        reason = f"the notes use {shown}, which conflict" if not consistent else \
            f"the notes use {shown}" if said else "the notes give no layout"
        # a name is the notes' initial state or dynamics only if every call of it is one (p(s_1), never p(x))
        initial, dynamics = self.initial, self.dynamics
        initial = initial if initial is not None and (initial, 1) not in self.off_states else DEFAULT_INITIAL
        dynamics = dynamics if dynamics is not None and (dynamics, 3) not in self.off_states else DEFAULT_DYNAMICS
        return Learned(chosen, reason, initial, dynamics)


def definitions(convention: Convention, with_return: bool) -> tuple[m.Definition, ...]:
    """The trajectory distribution of ``convention`` (and the return, ``with_return``), in the rl vocabulary's
    names: the notes' own names are aliases of those (:func:`aliases`)."""
    from ..syntax import parse_source

    b, last = convention.start, convention.last
    text = f"def P(τ | θ) = ρ0(s_{{{b}}}) prod_{{t={b}}}^{{{last}}} π_θ(a_t | s_t) P(s_{{t+1}} | s_t, a_t)\n"
    if with_return:
        text += f"def R(τ) = sum_{{t={b}}}^{{{last}}} r(s_t, a_t)\n"
    return tuple(d for d in parse_source(text, "<notes>").declarations if isinstance(d, m.Definition))


def aliases(learned: Learned) -> list[m.Declaration]:
    """The notes' names for the initial-state distribution and the dynamics, defined as the rl vocabulary's
    (``ρ(s) = ρ0(s)``, ``p(s' | s, a) = P(s' | s, a)``): distributions, normalized, and a trajectory
    distribution in those names is the one the symbolic engine knows (its default, where the layout is)."""
    from ..syntax import parse_source

    text = ""
    if learned.initial not in ("ρ_0", "ρ0"):
        text += f"def {learned.initial}(s) = ρ0(s)\n"
    if learned.dynamics != DEFAULT_DYNAMICS:
        text += f"def {learned.dynamics}(s' | s, a) = P(s' | s, a)\n"
    return list(parse_source(text, "<notes>").declarations) if text else []


def declarations(learned: Learned, with_return: bool, own_trajectory: bool = False) -> list[m.Declaration]:
    """The declarations that give the notes their layout: the aliases of their names; then nothing more when
    the notes define τ's distribution themselves (``own_trajectory``; only the return, over that layout) or
    use the default layout, one trajectory distribution for another single layout, and every layout open
    when their evidence leaves several."""
    found = aliases(learned)
    if len(learned.open) == 1:
        layout = definitions(learned.open[0], with_return)
        if learned.open == (DEFAULT,) or own_trajectory:
            layout = layout[1:]      # the file's own, or the language's default (known to be normalized)
        return found + list(layout)
    return found + [OpenConventions(tuple(definitions(c, with_return) for c in learned.open),
                                    tuple(c.name() for c in learned.open), learned.reason)]
