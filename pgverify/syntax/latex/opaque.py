"""What a step with an optimum, a conditional expectation, an evaluation bar or a trajectory slice means.

The finite models cannot take a maximum over every policy, nor a conditional expectation whose
distribution is not written, so a step holding one is given, here, only the meaning that is sound.
Every construct ends up inside a :class:`~pgverify.model.Opaque` node (the checker never sees an
``Optimum``, ``CondExpect`` or ``EvalAt`` of its own), with the meaning below; the falsifier uses that
meaning only when the names inside the construct mean nothing else in the file (``falsify.opaque``:
no definition, declaration or vocabulary entry for them, and no definition that mentions them),
and otherwise the step is ``unknown`` with the reason.

* Duality, always: ``min_x g`` is ``-max_x(-g)`` and ``argmin_x g`` is ``argmax_x(-g)``.
* ``max_x g`` of a ``g`` that does not involve ``x`` means ``g``; ``argmax_x g`` of such a ``g`` means the
  whole domain of ``x`` (one value for every such ``g``); ``\\left. f \\right|_{x=v}`` of an ``f`` that
  names ``x``, takes no derivative in ``x`` and binds no ``x`` means ``f`` with ``v`` for ``x``.
* Any other construct is an *atom*: the same construct (written alike after duality) is the same
  unknown value on both sides, so a step that holds for every value of its atoms holds
  (``max_π f(π) = -min_π(-f(π))``).  Atoms are used only where each can take any value whatever the
  rest of the step is (then a counterexample for some values is one for some functions:
  ``max_π f(π) = min_π(-f(π))`` is refuted): no name inside an atom, besides the variable it binds, stands
  anywhere else in the step, no two atoms share a name, nothing outside takes a derivative, and the
  atom's body is a function the notes do not pin down (``f(π)``), not an entropy, a divergence or a
  probability, whose optimum is fixed.  Otherwise the construct has no meaning here: ``unknown``.

A slice ``τ_{ː,0,t}`` (``\\tau_{:t}``) is a part of the trajectory and is read as a trajectory of its
own; in a step that also names τ, a component of a trajectory or another slice (whose relation to the
slice the models do not know) the slice has no meaning either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from ... import model as m
from .notation import SLICE

_SPECIAL = (m.Optimum, m.CondExpect, m.EvalAt)
# names whose optimum (or conditional value) is fixed by what they mean, so an atom over them is not free
_INTERPRETED = frozenset({"π", "p", "P", "q", "μ", "ρ", "Pr", "H", "KL", "D", "d", "ℙ", "𝔼", "E", "δ"})
# letters of trajectory components, whose relation to a slice the models do not know
_COMPONENTS = frozenset({"s", "a", "r", "x", "u", "o", "y", "R", "G"})


def decide(lhs: m.Expr | None, rhs: m.Expr | None) -> tuple[m.Expr | None, m.Expr | None]:
    """The step ``lhs REL rhs`` with its optima, conditional expectations, evaluation bars and slices in
    :class:`~pgverify.model.Opaque` nodes that say what they mean (module docstring); a step without any
    is returned as it is."""
    if lhs is None or rhs is None or not any(_has_special(e) or _has_slice(e) for e in (lhs, rhs)):
        return lhs, rhs
    lhs, rhs = _exact(lhs), _exact(rhs)
    lhs, rhs = _slices(lhs, rhs)
    atoms = [a for side in (lhs, rhs) for a in _outermost(side)]
    if not atoms:
        return lhs, rhs
    if not _free(atoms, (lhs, rhs)):
        return _replace(lhs, _unknown), _replace(rhs, _unknown)
    names: dict[str, str] = {}     # an atom's exact form (repr: numbers in full) → its name (shown)
    for atom in atoms:
        exact = repr(atom)
        if exact not in names:
            shown = f"⟨{m.show(atom)}⟩"
            taken = sum(1 for name in names.values() if name.split("#")[0] == shown)
            names[exact] = shown if not taken else f"{shown}#{taken + 1}"

    def atom_of(a: m.Expr) -> m.Expr:
        return m.Opaque(a, _reason(a, "a name inside it has a meaning in this file: a definition, a declaration"
                                      " or the rl vocabulary"),
                        m.Name(names[repr(a)], span=a.span), span=a.span)
    return _replace(lhs, atom_of), _replace(rhs, atom_of)


# --------------------------------------------------------------------------- duality and exact meanings


def _exact(e: m.Expr) -> m.Expr:
    def rewrite(node: m.Expr) -> m.Expr | None:
        if isinstance(node, m.Optimum):
            if node.kind == "min":
                return _neg(_exact(m.Optimum("max", node.variable, _neg(node.body), span=node.span)))
            if node.kind == "argmin":
                return _exact(m.Optimum("argmax", node.variable, _neg(node.body), span=node.span))
            if not _mentions(node.body, node.variable):
                meaning = node.body if node.kind == "max" else \
                    m.Name(f"⟨argmax_{{{node.variable.key()}}} over the whole domain⟩", span=node.span)
                return m.Opaque(node, _reason(node, "what it maximises has a meaning in this file"), meaning,
                                span=node.span)
        if isinstance(node, m.EvalAt) and _substitutable(node):
            key = node.variable.key()
            meaning = m.transform(node.body, lambda n: node.value if isinstance(n, m.Name) and n.key() == key
                                  else None)
            return m.Opaque(node, _reason(node, "the function under the bar has a meaning in this file"), meaning,
                            span=node.span)
        return None
    return m.transform(e, rewrite)


def _neg(e: m.Expr) -> m.Expr:
    if isinstance(e, m.Neg):
        return e.operand
    if isinstance(e, m.Num):
        return m.Num(-e.value, span=e.span)
    return m.Neg(e, span=e.span)


def _mentions(e: m.Expr, variable: m.Name) -> bool:
    """Whether ``e`` may involve ``variable``: a name of its letter anywhere (``π``, ``π_θ``, ``Q^π``)."""
    for n in m.nodes(e):
        if isinstance(n, m.Name) and (n.base == variable.base or (n.decoration or "").startswith(variable.base)):
            return True
        if isinstance(n, m.Grad) and n.param == variable.key():
            return True
    return False


def _substitutable(bar: m.EvalAt) -> bool:
    """``f|_{x=v}`` is ``f`` with ``v`` for ``x`` when ``f`` names ``x`` and neither differentiates in ``x``
    nor binds ``x`` (``J|_{θ=θ_0}``, which may depend on θ without naming it, is not substituted)."""
    key = bar.variable.key()
    if not any(isinstance(n, m.Name) and n.key() == key for n in m.nodes(bar.body)):
        return False
    for n in m.nodes(bar.body):
        if isinstance(n, m.Grad) and n.param == key:
            return False
        if isinstance(n, m.BigOp) and n.index.key() == key:
            return False
        if isinstance(n, (m.Expect, m.CondExpect)) and any(v.key() == key for v in n.variables):
            return False
        if isinstance(n, m.Optimum) and n.variable.key() == key:
            return False
    return True


# --------------------------------------------------------------------------- slices


def _is_slice(n: m.Expr) -> bool:
    return isinstance(n, m.Name) and len(n.sub) == 3 and isinstance(n.sub[0], m.Name) and n.sub[0].base == SLICE


def _has_slice(e: m.Expr) -> bool:
    return any(_is_slice(n) for n in m.nodes(e))


def _slices(lhs: m.Expr, rhs: m.Expr) -> tuple[m.Expr, m.Expr]:
    """Slices stay values of their own where nothing else in the step names their trajectory; else unknown."""
    names = [n for side in (lhs, rhs) for n in m.nodes(side) if isinstance(n, m.Name)]
    slices = {n.key(): n for n in names if _is_slice(n)}
    if not slices:
        return lhs, rhs
    bases = {n.base for n in slices.values()}
    inner = {x.key() for s in slices.values() for b in s.sub[1:] for x in m.nodes(b) if isinstance(x, m.Name)}
    inside = {id(x) for s in names if _is_slice(s) for b in s.sub for x in m.nodes(b)}
    clash = len(slices) > 1 or any(
        not _is_slice(n) and id(n) not in inside and (
            n.base in bases or (n.base in _COMPONENTS and n.sub) or n.key() in inner)
        for n in names)
    if not clash:
        return lhs, rhs
    reason = ("a trajectory slice is read as a part of the trajectory, a value of its own; how it relates"
              " to the trajectory, its components or another slice is not evaluated")

    def wrap(n: m.Expr) -> m.Expr | None:
        if _is_slice(n):
            return m.Opaque(n, reason, span=n.span)
        # a construct that binds a slice (E_{τ_{:t} ~ p}[…]) binds a name, never an Opaque: it is a value of its
        # own as a whole, its slice kept a name (the model's binders hold names: show, keys and walks read them)
        bound = _unwrapped_binding(n)
        return m.Opaque(bound, reason, span=n.span) if bound is not None else None
    return m.transform(lhs, wrap), m.transform(rhs, wrap)


def _unwrapped_binding(n: m.Expr) -> m.Expr | None:
    """``n`` with the Opaque slices among its bound variables made names again, or None when it binds none."""
    def plain(v: m.Expr) -> m.Expr:
        return v.expr if isinstance(v, m.Opaque) else v

    if isinstance(n, (m.Expect, m.CondExpect)) and any(isinstance(v, m.Opaque) for v in n.variables):
        return replace(n, variables=tuple(plain(v) for v in n.variables))
    if isinstance(n, m.BigOp) and (isinstance(n.index, m.Opaque) or isinstance(n.over, m.Opaque)):
        return replace(n, index=plain(n.index), over=None if n.over is None else plain(n.over))
    if isinstance(n, (m.Optimum, m.EvalAt)) and isinstance(n.variable, m.Opaque):
        return replace(n, variable=plain(n.variable))
    return None


# --------------------------------------------------------------------------- atoms


def has_construct(e: m.Expr) -> bool:
    """Whether ``e`` holds an optimum, a conditional expectation or an evaluation bar (a left side with one
    introduces no name, even when it means one: ``max_π f`` is ``f``)."""
    return any(isinstance(n, _SPECIAL) for n in m.nodes(e))


_has_special = has_construct


def _outermost(e: m.Expr) -> Iterator[m.Expr]:
    if isinstance(e, _SPECIAL):
        yield e
        return
    if isinstance(e, m.Opaque):
        return
    for child in m.children(e):
        yield from _outermost(child)


def _bound(atom: m.Expr) -> set[str]:
    if isinstance(atom, m.Optimum | m.EvalAt):
        return {atom.variable.key()}
    if isinstance(atom, m.CondExpect):
        return {v.key() for v in atom.variables}
    return set()


def _inner_names(atom: m.Expr) -> set[str]:
    bound = _bound(atom)
    names = [n for n in m.nodes(atom) if isinstance(n, m.Name) and n.key() not in bound and n.base != "="]
    return {n.key() for n in names} | {n.base for n in names}


def _free(atoms: list[m.Expr], sides: tuple[m.Expr, m.Expr]) -> bool:
    """Whether every atom can take any value whatever the rest of the step (module docstring)."""
    distinct = {repr(a): a for a in atoms}
    seen: set[str] = set()
    for atom in distinct.values():
        if any(isinstance(n, (*_SPECIAL, m.Opaque)) for n in m.nodes(atom) if n is not atom) or \
                not _unknown_function(atom):
            return False
        names = _inner_names(atom)
        if names & seen:
            return False
        seen |= names
    outside: set[str] = set()
    derivative = False
    for side in sides:
        for n in _outside_nodes(side):
            if isinstance(n, m.Name):
                outside |= {n.key(), n.base, n.decoration or ""}
            derivative = derivative or isinstance(n, m.Grad)
    # a derivative outside would see a dependence on a parameter that an atom (one value) hides
    return not (seen & outside) and not derivative


def _outside_nodes(e: m.Expr) -> Iterator[m.Expr]:
    """The nodes of ``e`` outside its constructs (an exact construct's meaning counts as outside)."""
    if isinstance(e, _SPECIAL):
        return
    if isinstance(e, m.Opaque):
        if e.meaning is not None:
            yield from _outside_nodes(e.meaning)
        if not isinstance(e.expr, m.Name):          # a slice: its name stands where it is written
            for n in m.nodes(e.expr):
                if isinstance(n, m.Name):
                    yield n
        else:
            yield e.expr
        return
    yield e
    for child in m.children(e):
        yield from _outside_nodes(child)


def _unknown_function(atom: m.Expr) -> bool:
    """The atom's body is an unknown function (or, for a conditional expectation, an unknown variable)."""
    assert isinstance(atom, _SPECIAL)
    body = atom.body
    while isinstance(body, m.Neg | m.Grad):
        body = body.operand
    if isinstance(body, m.Call):
        return body.func.base not in _INTERPRETED and body.func.key() not in _INTERPRETED
    return isinstance(atom, m.CondExpect) and isinstance(body, m.Name) and body.base not in _INTERPRETED


def _reason(atom: m.Expr, context: str) -> str:
    """Why a construct is unknown: what pgverify decides of it, and (``context``) why not here."""
    if isinstance(atom, m.Optimum):
        what = {"max": "a maximum", "argmax": "a maximiser"}.get(atom.kind, "an optimum")
        reason = (f"{what} over {atom.variable.key()} is decided only against itself, its dual"
                  " (max f = -min(-f), argmax f = argmin(-f)) or what does not involve it")
        return reason + (f", where what it maximises means nothing else in the file (here {context})"
                         if context else "")
    if isinstance(atom, m.CondExpect):
        return ("a conditional expectation E[… | …] is read, but its distribution given the condition is not"
                " written: it is decided only against itself" + (f", and here {context}" if context else ""))
    return ("an evaluation bar is decided by putting the value in place of the variable, which it cannot be"
            " here" + (f": {context}" if context else " (a derivative in the variable, or a function that"
                                                      " does not name it)"))


def _unknown(atom: m.Expr) -> m.Expr:
    return m.Opaque(atom, _reason(atom, ""), span=atom.span)


def _replace(e: m.Expr, fn: Callable[[m.Expr], m.Expr]) -> m.Expr:
    """``e`` with each construct replaced by ``fn(construct)`` (inner ones first: only unknown ones nest)."""
    return m.transform(e, lambda node: fn(node) if isinstance(node, _SPECIAL) else None)
