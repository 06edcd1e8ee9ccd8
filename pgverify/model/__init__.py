"""The typed syntax tree of a derivation file: frozen dataclasses, no sympy, and the one walk.

``syntax`` builds these nodes; ``semantics`` gives names their meaning; every
other module reads them.  Where to look:

* ``expressions``  expression nodes with their spans, and ``show`` (nodes back to text)
* ``statements``   declarations, claims and steps, derivations, the source file
* ``lines``        a file's lines as its one text and the offsets of its lines
* ``packed``       a file's derivations kept packed in bytes until used (``Derivations``)
* ``records``      ``@record``/``finish``: frozen dataclasses whose methods are made once per module
* ``walk``         ``children``, ``nodes``, ``transform``: the only code that knows a node's fields;
                   ``factors`` and ``product``: a product as a list of factors and back
"""

from __future__ import annotations

from .expressions import (
    Add, BigOp, Call, CondExpect, Div, EvalAt, Expect, Expr, Func, Grad, Mul, NOWHERE, Name, Neg, Num, Opaque,
    Optimum, Placeholder, Pow, Size, Span, Sub, show,
)
from .lines import Lines
from .packed import Derivations, DerivationsBuilder
from .statements import (
    Cell, ChainStart, Claim, Declaration, Definition, Depends, Derivation, DistDecl, FunDecl, Goal,
    Coverage, Fact, Header, Justification, Lemma, Location, Param, SourceFile, Statement, Step, StepLine, Suppression,
    SyntaxIssue, Use, locate,
)
from .walk import children, factors, nodes, product, transform

__all__ = [
    "Add", "Cell", "Location", "locate", "BigOp", "Call", "ChainStart", "Claim", "Declaration", "Definition", "Depends",
    "Derivation", "DistDecl", "Div", "Expect", "Expr", "FunDecl", "Func", "Goal", "Grad", "Header",
    "Justification", "Lemma", "Mul", "NOWHERE", "Name", "Neg", "Num", "Param", "Placeholder",
    "Pow", "Size", "SourceFile", "Span", "Statement", "Step", "StepLine", "Sub", "Suppression",
    "SyntaxIssue", "Use", "children", "factors", "nodes", "product", "show", "transform", "Coverage", "Fact",
    "CondExpect", "EvalAt", "Opaque", "Optimum", "Lines", "Derivations", "DerivationsBuilder",
]
