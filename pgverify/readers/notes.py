"""Notes mode: the derivations of lecture notes as their authors wrote them, unmarked.

What :mod:`pgverify.readers.base` asks of this module, block by block:

* whether the prose between two display blocks is short connective prose ("where",
  "so", "which gives", nothing): then a block whose first token is a relation
  continues the chain of the block before (:func:`connects`);
* whether a step is a *definition* or an *assumption* rather than a claim
  (:func:`classify`): a definition is written with ``:=``, ``\\doteq``,
  ``\\triangleq``, ``\\equiv``, ``\\stackrel{\\text{def}}{=}``, follows prose such as
  "define", "let", "denote", "where", or has a left side that is a name or a call
  the file has not defined before; an assumption follows "assume"/"suppose" or
  states that a conditional probability does not depend on part of its condition
  (the Markov property).  Both are reported as facts, never refuted;
* which names are parameters (:func:`parameters`): the variables of every
  ``\\nabla_x``, ``\\partial/\\partial x``, ``d/dx``, and the subscripts of
  ``\\pi_\\theta``, ``p_\\theta``.

Nothing here runs the checker: it only decides what a block *says*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import model as m

# the relations a definition is written with (as the LaTeX builder records them)
DEFINING = frozenset({":=", "coloneqq", "triangleq", "doteq", "equiv", "stackrel:def", "≜", "≡"})

_CONNECTIVE = re.compile(
    r"(and|so|thus|hence|then|therefore|which|gives|give|yields|yield|we|get|obtain|have|find|is|are|that|this|"
    r"it|follows|becomes|equals|or|also|i\.e\.|e\.g\.|finally|now|again|since|because|using|by|the|a|an|of|"
    r"to|in|with|rewrite|rewriting|simplify|simplifies|simplifying|expand|expanding|plug|plugging|substitute|"
    r"substituting|this|last|step|line|above|term|terms|as|rearranging|further|more|compactly|"
    r"equivalently|written|write|can|be|notice|note|recall|where|one|more|time|at|all|after|applying|apply|"
    r"identity|rule|trick|lemma|log-derivative|derivative|chain|linearity|definition|expectation|integral|"
    r"both|sides|taking|take|gradient|get|gets|leads|leading|giving|hold|holds|therefore|consequently)")
_DEFINE_PROSE = re.compile(r"\b(define|defines|defined|defining|definition|let|denote|denotes|denoted|denoting|"
                           r"where|we\s+write|is\s+called|stands?\s+for|notation|introduce)\b", re.IGNORECASE)
_ASSUME_PROSE = re.compile(r"\b(assume|assumes|assumed|assuming|assumption|suppose|supposing|markov\s+property)\b",
                           re.IGNORECASE)
_MARKUP = re.compile(r"<!--.*?-->|\{/\*.*?\*/\}|<[^>]*>|\*\*|__|[*_`#>]|\\\w+|[{}]", re.DOTALL)
_CONNECTIVE_WORDS = 10      # "which, after the log-derivative trick, gives" is about as long as it gets
_PROSE_WINDOW = 160         # how far back before a block its introducing prose is looked for


def plain_prose(text: str) -> str:
    """Prose without markup (comments, emphasis, inline code marks), spaces collapsed."""
    return " ".join(_MARKUP.sub(" ", text).split())


_INLINE_MATH = re.compile(r"\$[^$]+\$|\\\(.*?\\\)", re.DOTALL)


def connects(prose: str) -> bool:
    """Whether the text between two blocks is short connective prose (or nothing): "which gives", "so",
    "where, by the log-derivative trick $…$, we get" (inline math in it names what was used)."""
    if re.search(r"\n\s*\n\s*\n", prose) or re.search(r"^\s*(#|[=\-~^]{3,}\s*$)", prose, re.MULTILINE):
        return False            # a new section, or a gap of paragraphs: a new thought
    words = re.findall(r"[^\W\d_][\w'.-]*", plain_prose(_INLINE_MATH.sub(" ", prose)).lower())
    if len(words) > _CONNECTIVE_WORDS or re.search(r"^\s*#", prose, re.MULTILINE):
        return False
    return all(_CONNECTIVE.fullmatch(w.strip(".")) for w in words)


_DERIVE_PROSE = re.compile(r"\b(solv\w*|rearrang\w*|taking|gives?|giving|get|obtain|hence|thus|so\s+that|follows|"
                           r"therefore|yields?|becomes?|simplif\w*|substitut\w*|plugging|expanding|shows?|"
                           r"prove|derive[sd]?|implies)\b", re.IGNORECASE)


def introduced_by(prose: str) -> str | None:
    """``definition``, ``assumption`` or ``derived`` when the sentence leading into a block says so."""
    tail = plain_prose(_INLINE_MATH.sub(" ", prose[-_PROSE_WINDOW:]))
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", tail)[-1] if tail else ""
    if _ASSUME_PROSE.search(sentence):
        return "assumption"
    if _DEFINE_PROSE.search(sentence):
        return "definition"
    if _DERIVE_PROSE.search(sentence):
        return "derived"
    return None


def defined_name(lhs: m.Expr) -> str | None:
    """The name a left side introduces: a name (``ĝ``, ``θ_{k+1}``) or a call (``A^π(s, a)``, ``J(θ)``)."""
    if isinstance(lhs, m.Name):
        return lhs.key()
    if isinstance(lhs, m.Call) and all(isinstance(a, m.Name) for a in lhs.all_args):
        return lhs.func.key()
    return None


def unfoldable(lhs: m.Expr, rhs: m.Expr, params: Iterable[str]) -> bool:
    """Whether a definition can be used to unfold later steps: its left side is a plain name or a call of
    plain, unsubscripted names (so that substituting arguments means what the notes mean), it is not a
    parameter (an update ``θ = θ + α g`` redefines nothing), and it does not mention itself."""
    name = defined_name(lhs)
    if name is None or name in set(params):
        return False
    if isinstance(lhs, m.Call):
        if not all(isinstance(a, m.Name) and not a.sub and a.sample is None for a in lhs.all_args):
            return False
        keys = [a.key() for a in lhs.all_args]
        if len(set(keys)) != len(keys):
            return False
        mentions = any(isinstance(n, m.Call) and _shape(n) == _shape(lhs) for n in m.nodes(rhs))
    else:
        mentions = any(isinstance(n, m.Name) and n.key() == name for n in m.nodes(rhs))
    return not mentions


def _markov(lhs: m.Expr, rhs: m.Expr) -> bool:
    """``P(s_{t+1} | s_t, a_t, s_{t-1}, …) = P(s_{t+1} | s_t, a_t)``: a condition dropped from a probability."""
    if not (isinstance(lhs, m.Call) and isinstance(rhs, m.Call)) or lhs.func.key() != rhs.func.key():
        return False
    if lhs.args != rhs.args or not lhs.given or not rhs.given:
        return False
    bigger, smaller = (lhs.given, rhs.given) if len(lhs.given) > len(rhs.given) else (rhs.given, lhs.given)
    return len(bigger) > len(smaller) and all(g in bigger for g in smaller)


def classify(step: m.Step, spelling: str, starts_row: bool, prose_kind: str | None, known: set[str],
             first_of_block: bool, used: frozenset[str] = frozenset()) -> str | None:
    """``definition``, ``assumption`` or None (a claim to check) for one step of a notes block; ``known``
    are the names the file defined, ``used`` those its definitions and steps used so far."""
    if step.previous is None or step.expr is None:
        return None
    if spelling in DEFINING and starts_row:
        return "definition"
    if not starts_row:
        return None
    if _markov(step.previous, step.expr):
        return "assumption"
    if first_of_block and prose_kind == "assumption":
        return "assumption"
    name = defined_name(step.previous)
    if name is None or step.relation != "=":
        return None
    if _mentions_itself(step.previous, step.expr):
        # `V^π(s) = E[r + γ V^π(s')]`: a recursive equation the notes state (a Bellman equation), a model fact
        if isinstance(step.previous, m.Name):
            return "definition"                # `θ = θ + α g`: an update rule
        return "assumption" if name not in known else None
    if first_of_block and prose_kind == "definition":
        return "definition"
    if first_of_block and prose_kind == "derived" or name in used:
        return None           # "solving for the reward, r(x, y) = …": a consequence, checked as a claim
    return "definition" if name not in known else None


def _shape(call: m.Call) -> tuple[str, int, int]:
    """A call's function as notes overload it: ``P(τ | θ)`` and ``P(s' | s, a)`` are different functions."""
    return call.func.key(), len(call.args), len(call.given)


def _mentions_itself(lhs: m.Expr, rhs: m.Expr) -> bool:
    if isinstance(lhs, m.Call):
        return any(isinstance(n, m.Call) and _shape(n) == _shape(lhs) for n in m.nodes(rhs))
    return any(isinstance(n, m.Name) and n.key() == lhs.key() for n in m.nodes(rhs)) if isinstance(lhs, m.Name) \
        else False


def parameters(exprs: Iterable[m.Expr]) -> list[str]:
    """Every variable a gradient or derivative is taken in (``∇_θ``, ``d/dx``), in the order first seen."""
    found: list[str] = []
    for expr in exprs:
        for node in m.nodes(expr):
            if isinstance(node, m.Grad) and node.param and node.param not in found:
                found.append(node.param)
    return found


def step_exprs(derivations: Iterable[m.Derivation]) -> Iterable[m.Expr]:
    """Every expression of the steps (for the parameters they take gradients in)."""
    for d in derivations:
        for s in d.steps:
            yield from (e for e in (s.previous, s.expr) if e is not None)


def _is_estimate(e: m.Expr) -> bool:
    """A sample estimate: a sum over a data set (``sum_{τ ∈ D}``) or over samples up to ``N``/``|D|``."""
    for node in m.nodes(e):
        if isinstance(node, m.BigOp) and node.kind == "sum" and not node.integral:
            if node.over is not None or isinstance(node.upper, (m.Name, m.Size)) and \
                    getattr(node.upper, "key", lambda: "")() in ("N", "M", "n", "m", "K") or isinstance(node.upper, m.Size):
                return True
    return False


def estimate_on_the_right(step: m.Step) -> m.Step:
    """``ĝ ≈ ∇_θ J``: notes write an estimate on either side of ``≈``; pgverify reads the estimate on the
    right (the step means the same either way round)."""
    if step.relation != "≈" or step.previous is None or step.expr is None:
        return step
    if _is_estimate(step.previous) and not _is_estimate(step.expr):
        return m.Step(step.expr, step.relation, step.previous, step.justification, step.span, step.text)
    return step


def free_indices(expr: m.Expr) -> list[tuple[m.Name, str]]:
    """Names indexed by a sum's or product's index outside that sum (``\\sum_t \\log π(a_t|s_t) + \\log
    P(s_{t+1}|s_t,a_t)``: the second ``t`` is free, the sum's body ended at the ``+``)."""
    indices = {n.index.key() for n in m.nodes(expr) if isinstance(n, m.BigOp)}
    if not indices:
        return []
    found: list[tuple[m.Name, str]] = []

    def walk(e: m.Expr, bound: frozenset[str]) -> None:
        if isinstance(e, m.BigOp):
            for bound_expr in (e.lower, e.upper):
                if bound_expr is not None:
                    walk(bound_expr, bound)
            walk(e.body, bound | {e.index.key()})
            return
        if isinstance(e, m.Expect):
            walk(e.dist, bound)
            walk(e.body, bound | {v.key() for v in e.variables if isinstance(v, m.Name)})   # (a slice: Opaque)
            return
        if isinstance(e, m.Name):
            for sub in e.sub:
                for n in m.nodes(sub):
                    if isinstance(n, m.Name) and n.key() in indices and n.key() not in bound:
                        found.append((e, n.key()))
                        return
        for child in m.children(e):
            walk(child, bound)

    walk(expr, frozenset())
    return found


def used_names(exprs: Iterable[m.Expr | None]) -> set[str]:
    """The names and functions an expression uses (a name in use is no longer new)."""
    out: set[str] = set()
    for expr in exprs:
        if expr is None:
            continue
        for node in m.nodes(expr):
            if isinstance(node, m.Call):
                out.add(node.func.key())
            elif isinstance(node, m.Name):
                out.add(node.key())
    return out
