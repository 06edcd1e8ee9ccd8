"""What notes mode remembers while a file's events are assembled: the chain that a next block may
continue, the names defined so far, the facts learned, the coverage counts, a `pgverify: off` region,
and, at the end, the vocabulary the notes imply (``use rl``, parameters from their gradients)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import model as m
from ..model.conventions import LetterRoles
from . import time_convention
from .notes import step_exprs

# letters the rl vocabulary gives a domain of their own: a gradient in them is not a parameter's
_RL_VARIABLES = frozenset({"s", "a", "τ", "t"})
_GRADIENT_VARIABLE = re.compile(r"\\nabla\s*_\s*\{?\s*\\?([A-Za-z]+)|\\partial\s*\\?([A-Za-z]+)\s*\}"
                                r"|\{\s*d\s*\\?([A-Za-z]+)\s*\}")


@dataclass
class NotesState:
    """Notes mode's memory over one file (see :mod:`pgverify.readers.notes` for the decisions)."""

    rl: bool = True
    off: bool = False
    blocks: int = 0
    read: int = 0
    skipped: int = 0
    in_off: int = 0
    facts: list[m.Fact] = field(default_factory=list)
    warnings: list[m.SyntaxIssue] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)       # names used by the definitions and steps so far
    last: m.Expr | None = None          # the last expression of the block before
    last_text: Any = None               # the Text that block stood in (a chain never crosses cells)
    last_end: int = 0
    continues: Any = None               # the derivation the block before added to
    params_seen: frozenset[str] = frozenset({"θ"})
    tuples: list[time_convention.Evidence] = field(default_factory=list)   # `τ = (s_1, a_1, …)` in the math

    def count_off(self, event: Any) -> None:
        if not getattr(event, "inline", False):
            self.in_off += 1
        self.last = None

    def prose_before(self, event: Any) -> str:
        """The text between the block before (in the same text) and this one.

        Every math block passes here before it is read, so here its tuple definition of τ (``τ = (s_1, a_1,
        \\ldots, s_T, a_T)``, which no expression reader takes) is noted as evidence of the notes' layout."""
        end = getattr(event, "end", None)
        if end is not None:
            self.tuples.extend(time_convention.tuple_evidence(event.text.text[event.start:end]))
        start = self.last_end if self.last_text is event.text else max(0, event.start - 400)
        return event.text.text[start:event.start]

    def coverage(self) -> m.Coverage:
        return m.Coverage(self.blocks, self.read, self.skipped, self.in_off)

    def vocabulary(self, early: Sequence[m.Declaration], derivations: Sequence[m.Derivation]
                   ) -> list[m.Declaration]:
        """The file's declarations with what the notes imply put first: ``use rl`` (unless the notes
        declared their vocabulary or turned it off) and a parameter for every variable a gradient is
        taken in that is no bound variable of the file."""
        survey = _Survey(early, derivations, time_convention.Learner(self.tuples) if self.rl else None)
        declared = [d for d in survey.declarations if isinstance(d, m.Use)]
        implied: list[m.Declaration] = []
        if self.rl and not declared:
            implied.append(m.Use("rl"))
        if self.rl:
            roles = survey.policy_letters()
            if roles:
                implied.append(LetterRoles(tuple(sorted(roles.items()))))
        if self.rl:
            implied.extend(self._layout(survey))
        implied.extend(_distributions_from_use(early, survey, self.rl))
        named = {n.key() for d in early if isinstance(d, m.Param) for n in d.names}
        for param in survey.parameters:
            if param in ("θ", *named) or param in survey.bound or param in _RL_VARIABLES and self.rl:
                continue
            implied.append(m.Param((m.Name(param),)))
        return implied + list(early)

    def _layout(self, survey: _Survey) -> list[m.Declaration]:
        """The trajectory layout the notes imply (:mod:`.time_convention`), unless they define τ's distribution
        themselves; with it, the return ``R(τ)`` over that layout when the notes leave R to pgverify, and the
        notes' own names of the initial-state distribution and the dynamics as aliases of the rl vocabulary's."""
        defined = [d for d in survey.declarations if isinstance(d, m.Definition)]
        own = next((d for d in defined if _is_trajectory(d)), None)
        assert survey.learner is not None   # (rl notes only)
        if own is not None:
            learned = time_convention.learn([own.rhs])
        else:
            for d in defined:   # after the steps' expressions, as they come in the file's order of reading
                survey.learner.feed(d.lhs)
                survey.learner.feed(d.rhs)
            learned = survey.learner.learned()
        return time_convention.declarations(learned, survey.wants_return(), own is not None)


class _Survey:
    """What the vocabulary reads of a file's derivations, gathered in one walk over them.

    A note's derivations are packed (``model.packed``): each walk over them unpacks every one again, and a
    list of their expressions would hold them all unpacked at once.  So their declarations and the
    expressions of their steps are read here once, in file order, and each question the vocabulary asks
    (the gradients' variables, the bound variables, the policy's letters, the names used, the draws and
    the conditional probabilities, the evidence of the layout) is answered from what was gathered."""

    def __init__(self, early: Sequence[m.Declaration], derivations: Sequence[m.Derivation],
                 learner: time_convention.Learner | None) -> None:
        # the file's declarations and every derivation's, each object once, in file order: the declarations
        # a preamble makes after the first derivation belong to every later derivation (the same objects)
        self.declarations: list[m.Declaration] = []
        self._seen: set[int] = set()
        self.learner = learner                 # the evidence of the layout (rl notes only)
        self.parameters: list[str] = []        # the variables gradients are taken in, in the order first seen
        self.bound: set[str] = set()           # the variables of sums and expectations
        self.bases: set[str] = set()           # every name's letter
        self.letters: dict[str, str] = {}      # a letter the policy takes in place of a or s -> that role
        self.names: set[str | None] = set()    # every name and function used
        self.drawn: dict[str, set[int]] = {}   # a name under ~ -> the numbers of variables drawn from it
        self.uses: list[tuple[m.Call, bool]] = []   # (call, drawn jointly) that may make a distribution
        self._declare(early)
        for derivation in derivations:   # each unpacked once, and only one at a time
            for expr in step_exprs((derivation,)):
                if learner is not None:
                    learner.feed(expr)
                self._read(expr)
            self._declare(derivation.declarations)

    def _declare(self, declarations: Sequence[m.Declaration]) -> None:
        for d in declarations:
            if id(d) not in self._seen:
                self._seen.add(id(d))
                self.declarations.append(d)

    def _read(self, expr: m.Expr) -> None:
        for node in m.nodes(expr):
            if isinstance(node, m.Name):
                self.bases.add(node.base)
                self.names.add(node.key())
            elif isinstance(node, m.Call):
                self.names.add(node.func.key())
                if node.func.key() == "π_θ" and len(node.args) == 1 and len(node.given) == 1 and \
                        all(isinstance(x, m.Name) for x in (*node.args, *node.given)):
                    for arg, role in ((node.args[0], "a"), (node.given[0], "s")):
                        if arg.base != role:
                            self.letters.setdefault(arg.base, role)
                if node.given and node.func.key() != "E":
                    self._use(node)
            elif isinstance(node, m.Grad) and node.param and node.param not in self.parameters:
                self.parameters.append(node.param)
            if isinstance(node, m.BigOp):
                self.bound.add(node.index.key())
            elif isinstance(node, m.Expect):
                # (a variable the notes write as a slice, τ_{:t}, is read as an Opaque: no name to bind)
                self.bound.update(v.key() for v in node.variables if isinstance(v, m.Name))
                dist = node.dist
                if isinstance(dist, m.Name):
                    self.drawn.setdefault(dist.key(), set()).add(len(node.variables))
                if node.variables:
                    if isinstance(dist, m.Name):
                        self._use(m.Call(dist, node.variables), joint=True)   # a tuple under ~: μ(s, a)
                    elif isinstance(dist, m.Call) and all(isinstance(a, m.Placeholder) for a in dist.args) and \
                            len(dist.args) == 1 and len(node.variables) == 1:
                        self._use(m.Call(dist.func, node.variables, dist.given))

    def _use(self, call: m.Call, joint: bool = False) -> None:
        # only a call of plain variables can make a distribution (kept: a few names, never a sub-expression)
        if call.args and all(isinstance(a, m.Name) and a.sample is None for a in call.all_args):
            self.uses.append((call, joint))

    def policy_letters(self) -> dict[str, str]:
        """Letters the rl policy is applied to in place of ``a | s`` (``π_θ(y|x)``: y → a, x → s), when the
        file uses them in no other role (``a`` and ``s`` themselves unused)."""
        found = self.letters
        if "a" in self.bases or "s" in self.bases or len(set(found.values())) != len(found):
            return {}
        return dict(found)

    def wants_return(self) -> bool:
        """Whether pgverify supplies ``R(τ)`` as the sum of the rewards: the notes use both ``R(τ)`` (or ``J``)
        and ``r(s_t, a_t)``, never define R and never discount (with a γ in sight the return could be either)."""
        names = self.names
        defined = {d.lhs.func.key() for d in self.declarations
                   if isinstance(d, m.Definition) and isinstance(d.lhs, m.Call)}
        return bool({"R", "J"} & names and "r" in names) and "R" not in defined and "γ" not in names


def _is_trajectory(d: m.Definition) -> bool:
    """A definition of τ's distribution under any of its spellings (``p_θ(τ)``, ``P(τ | θ)``)."""
    return isinstance(d.lhs, m.Call) and (d.lhs.func.key() in ("Pr_θ", "p_θ", "P_θ") or d.lhs.func.key() in
                                          ("P", "p", "Pr") and any(isinstance(a, m.Name) and a.base == "τ"
                                                                   for a in d.lhs.all_args))


# what the rl vocabulary already declares (semantics._RL_DECLARATIONS) and its spellings of Pr_θ
_RL_FUNCTIONS = frozenset({"π_θ", "P", "ρ0", "Pr_θ", "p_θ", "P_θ", "r", "R", "b", "V", "Q", "A", "J"})


def _distributions_from_use(early: Sequence[m.Declaration], survey: _Survey, rl: bool) -> list[m.Declaration]:
    """A name's kind from its use: ``x \\sim q_θ`` and ``a \\sim π(·|s)`` make ``q_θ(x)`` and ``π(a | s)``
    distributions, as does a conditional probability written with a bar (``π(a | s)``)."""
    declared = {(d.call.func.key(), len(d.call.all_args)) for d in survey.declarations
                if isinstance(d, (m.DistDecl, m.FunDecl))}
    declared |= {(d.lhs.func.key(), len(d.lhs.all_args)) for d in list(early) if isinstance(d, m.Definition)
                 and isinstance(d.lhs, m.Call)}
    out: list[m.Declaration] = []
    seen: set[tuple[str, int]] = set()
    def add(call: m.Call, joint: bool = False) -> None:
        key = (call.func.key(), len(call.all_args))
        over_trajectories = len(call.args) == 1 and isinstance(call.args[0], m.Name) and call.args[0].base == "τ"
        if key in declared or key in seen or rl and key[0] in _RL_FUNCTIONS and \
                (key[0] not in ("p_θ", "P_θ", "Pr_θ") or over_trajectories):
            return
        plain = _plain
        if len({_plain(a).key() for a in call.all_args}) != len(call.all_args):
            # (x, y_w, y_l) ~ D: the subscripts tell the variables apart (both range over y's space); not
            # where D is also drawn with another number of variables (x ~ D: a marginal, not read)
            if not joint or len(survey.drawn.get(call.func.key(), ())) > 1:
                return
            plain = _unsampled
            if len({_unsampled(a).key() for a in call.all_args}) != len(call.all_args):
                return
        seen.add(key)
        out.append(m.DistDecl(m.Call(call.func, tuple(plain(a) for a in call.args),
                                     tuple(plain(g) for g in call.given))))

    for call, joint in survey.uses:   # (calls of plain variables only: _Survey._use)
        add(call, joint)
    return out


def _plain(e: m.Expr) -> m.Expr:
    """A declaration's variable: the letter without its time index (``s_t`` → ``s``)."""
    return m.Name(e.base) if isinstance(e, m.Name) else e


def _unsampled(e: m.Expr) -> m.Expr:
    """A declaration's variable kept with its subscript (``y_w``), for variables its letter alone does
    not tell apart."""
    return m.Name(e.base, e.sub, e.primes) if isinstance(e, m.Name) else e


def parameter_names(events: Sequence[Any], macros: Any) -> frozenset[str]:
    """The variables the file's math takes gradients in, found cheaply before any block is read (a
    definition of one of them is an update, not something to unfold)."""
    found = {"θ"}
    from ..syntax.latex.names import GREEK_LETTERS

    for event in events:
        end = getattr(event, "end", None)
        if end is None or not hasattr(event, "inline"):
            continue
        for match in _GRADIENT_VARIABLE.finditer(event.text.text[event.start:end]):
            word = next(g for g in match.groups() if g)
            found.add(GREEK_LETTERS.get(word, word))
    return frozenset(found)
