"""LaTeX math → model: the front end for derivations written in lecture notes.

A display block (``align*``, ``$$ … $$``, ``\\[ … \\]``, a reST ``.. math::``
body) is read in four passes, each keeping every character's position in
the original file (:class:`Located`), so that every step and every error
points at its own line:

1. comments are taken out (a trailing ``% by rule`` is kept as a
   justification), macro definitions are dropped, environment wrappers and
   delimiters are removed;
2. the block is cut into rows at ``\\\\``; a row without a relation continues
   the row before it;
3. macros (``\\newcommand``, ``\\renewcommand``, ``\\def``, with arguments) are
   expanded, and the justification (a trailing ``\\text{…}``, also in
   parentheses, ``\\scriptstyle``, after ``&``, ``&&`` or ``\\quad``; or the
   text over a ``\\stackrel{…}{=}``) is taken off the row;
4. the rest is parsed with ``grammars/latex.lark`` into the same
   :mod:`pgverify.model` nodes as the ``.pgv`` language.

Names come out exactly as the ``.pgv`` parser builds them: ``\\pi_\\theta`` is
``π_θ``, ``\\rho_0`` is ``ρ0``, ``\\Pr_\\theta`` is ``Pr_θ``, ``\\mathcal{D}`` is
``D``.  Accents are kept with the letter: ``\\hat{A}`` is the name ``Â``
(Unicode NFC of the letter and the combining accent), ``\\tilde{A}`` is
``Ã``, ``\\bar{x}`` is ``x̄``, so they never collide with the plain letter.

Where to look:

* ``located``         text that keeps its file positions; brace matching; ``LatexError``
* ``macros``          macro definitions found and expanded
* ``rows``            comments, wrappers, rows at ``\\\\``, unwrapping decorations
* ``justifications``  the text that says why a row holds
* ``names``           LaTeX names → the names of the ``.pgv`` language
* ``notation``        the notation of real notes rewritten into the grammar's (``{\\mathrm E}``, ``\\tau_{:t}`` …)
* ``builder``         one row's lark tree → model nodes; ``parse_row``, ``parse_expression``
* ``constructs``      optima, conditional expectations and evaluation bars in the lark tree
* ``opaque``          what a step with one of them (or a trajectory slice) means, as far as is sound
* ``blocks``          a display block → steps (``read_block``, ``read_math``)
"""

from __future__ import annotations

from .blocks import BlockResult, read_block, read_math
from .builder import Link, Row, parse_expression, parse_row
from .located import LatexError, Located
from .macros import MacroError, Macros

__all__ = ["BlockResult", "LatexError", "Link", "Located", "MacroError", "Macros", "Row", "parse_expression",
           "parse_row", "read_block", "read_math"]
