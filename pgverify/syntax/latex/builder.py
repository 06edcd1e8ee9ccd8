"""The lark tree of one row → model nodes, and parsing a row or a lone expression."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cache

from lark import Lark, Token, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from ... import model as m
from .. import grammars
from ..arithmetic import TOO_LARGE, canonical_word, differential, too_many_digits
from .justifications import plain
from .located import LatexError, Locate, Located, control_word
from .macros import Macros
from .notation import normalize
from .constructs import ConstructBuilder
from .names import GREEK_LETTERS, SCALARS, name_text, numeral
from .rows import strip_wrappers, unwrap

# --------------------------------------------------------------------------- the parser


@cache
def _parser() -> Lark:
    grammar = grammars.load("latex")
    # cache=True keeps the LALR tables in the temp folder, keyed by the grammar's hash (as the .pgv parser does)
    return Lark(grammar, start="row", parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, cache=True)



@dataclass(frozen=True)
class Link:
    relation: str
    expr: m.Expr
    span: m.Span           # the relation's
    note: str | None       # the text over \stackrel{…}{=}
    offset: int            # the relation's offset in the row
    written: str = "="     # the relation as written: ":=", "triangleq", "stackrel:def" …


@dataclass(frozen=True)
class Row:
    """A parsed row: ``\\therefore``/``\\implies`` (lead), the expression left of the first relation, the links."""

    lead: str | None
    first: m.Expr | None
    links: tuple[Link, ...]




def relative_spans(text: str) -> Locate:
    """Spans for a lone string: line 1, columns counted in the string."""
    def locate(start: int, end: int) -> m.Span:
        line1 = text.count("\n", 0, start) + 1
        col1 = start - (text.rfind("\n", 0, start) + 1) + 1
        line2 = text.count("\n", 0, end) + 1
        col2 = end - (text.rfind("\n", 0, end) + 1) + 1
        return m.Span(line1, col1, line2, col2)
    return locate


_RELATIONS = {"=": "=", ":=": "=", "≈": "≈", "≤": "≤", "≥": "≥", "<": "<", ">": ">", "lt": "<", "gt": ">", "∝": "∝", "approx": "≈", "simeq": "≈",
              "le": "≤", "leq": "≤", "leqslant": "≤", "ge": "≥", "geq": "≥", "geqslant": "≥", "propto": "∝",
              "equiv": "=", "doteq": "=", "coloneqq": "=", "triangleq": "="}


def _relation(text: str) -> str:
    text = text.strip()
    return _RELATIONS[text.lstrip("\\")]



class RowBuilder(ConstructBuilder):
    """Builds model nodes from the lark tree of one row: relations, calls, atoms, big operators."""

    # ---- rows
    def row(self, c):
        lead = None
        first = None
        links = []
        for x in c:
            if isinstance(x, Token) and x.type == "LEAD":
                lead = str(x).lstrip("\\")
            elif isinstance(x, Link):
                links.append(x)
            else:
                first = x
        return Row(lead, first, tuple(links))

    def link(self, c):
        rel, expr = c
        text = str(rel)
        note = None
        written = text.strip().lstrip("\\")
        if rel.type == "STACKREL":
            over = re.match(r"\\[A-Za-z]+\s*\{(.*)\}\s*\{\s*(.+?)\s*\}$", text, re.DOTALL)
            assert over is not None
            words = plain(over.group(1))
            text = over.group(2)
            if re.fullmatch(r"\s*(def|definition|defn|\.|:|\\triangle|\\Delta)\s*\.?\s*", words, re.IGNORECASE):
                written = "stackrel:def"     # \stackrel{\text{def}}{=}: a definition, not a rule's name
            else:
                note = words if len(re.findall(r"[^\W\d_]", words)) >= 2 else None
                written = text.strip().lstrip("\\")
        return Link(_relation(text), expr, self._t(rel), note, rel.start_pos, written)
    # ---- calls
    @v_args(meta=True)
    def call(self, meta, c):
        func, (args, given) = c
        span = self._s(meta)
        if isinstance(func, m.Func):  # e^{x}(…): a product
            return m.Mul(func, self._group(args, given, meta), span=span)
        if isinstance(func, m.Pow):
            if not isinstance(func.base, m.Name) or not isinstance(func.exponent, m.Name):
                return m.Mul(func, self._group(args, given, meta), span=span)
            func = replace(func.base, decoration=func.exponent.key())
        assert isinstance(func, m.Name)
        if func.base in SCALARS and not func.decoration and len(args) == 1 and not given:
            return m.Mul(func, args[0], span=span)
        return m.Call(func, args, given, span=span)

    @staticmethod
    def _group(args, given, meta) -> m.Expr:
        if len(args) != 1 or given:
            raise LatexError(meta.start_pos, meta.end_pos, "only a function name can take several arguments")
        return args[0]

    def args(self, c):
        if len(c) == 1:
            return c[0], ()
        return c[0], c[2]

    def arglist(self, c):
        return tuple(c)

    @v_args(meta=True)
    def placeholder(self, meta, c):
        return m.Placeholder(span=self._t(c[0]))

    # ---- atoms
    @v_args(meta=True)
    def number(self, meta, c):
        if too_many_digits(str(c[0])):
            raise LatexError(meta.start_pos, meta.end_pos, TOO_LARGE)
        return m.Num(numeral(str(c[0])), span=self._t(c[0]))

    @v_args(meta=True)
    def number_pow(self, meta, c):
        if too_many_digits(str(c[0])):
            raise LatexError(meta.start_pos, meta.end_pos, TOO_LARGE)
        base = m.Num(numeral(str(c[0])), span=self._t(c[0]))
        return m.Pow(base, self._one(c[1], meta), span=self._s(meta))

    def _one(self, sarg, meta) -> m.Expr:
        if len(sarg) != 1:
            raise LatexError(meta.start_pos, meta.end_pos, "a superscript holds one expression")
        return sarg[0]

    @v_args(meta=True)
    def pow(self, meta, c):
        return m.Pow(c[0], self._one(c[1], meta), span=self._s(meta))

    @v_args(meta=True)
    def size(self, meta, c):
        tok = c[0]
        inner = re.search(r"(\\mathcal\s*\{\s*([A-Za-z])\s*\}|\\mathcal\s+([A-Za-z])|([A-Za-z]))"
                          r"(?:_(\{([^{}|]*)\}|([A-Za-z0-9])))?", str(tok)[1:])
        assert inner is not None
        letter = inner.group(2) or inner.group(3) or inner.group(4)
        sub = inner.group(6) or inner.group(7)
        span = self._t(tok)
        subs = (self._atom(sub.strip(), span),) if sub else ()
        return m.Size(m.Name(letter, subs, span=span), span=span)

    @v_args(meta=True)
    def frac(self, meta, c):
        _frac, num, den = c
        span = self._s(meta)
        deriv = _derivative(num, den, span)
        return deriv if deriv is not None else m.Div(num, den, span=span)

    @v_args(meta=True)
    def frac_short(self, meta, c):
        tok = c[0]
        a, b = "".join(str(tok).split("frac", 1)[1].split())
        span = self._t(tok)
        return m.Div(self._atom(a, span), self._atom(b, span), span=span)

    @v_args(meta=True)
    def cancel(self, meta, c):
        """``\\cancel{X}``: the author claims X vanishes; the row is read with 0 in its place."""
        return m.Num(Fraction(0), span=self._s(meta))

    def cancelto(self, c):
        """``\\cancelto{v}{X}``: the author claims X becomes v."""
        return c[1]

    @v_args(meta=True)
    def sqrt(self, meta, c):
        return m.Func("sqrt", c[-1], span=self._s(meta))

    @v_args(meta=True)
    def partial(self, meta, c):
        return m.Name(PARTIAL, span=self._t(c[0]))


    def pos(self, c):
        return c[-1]

    @v_args(meta=True)
    def prefix_op(self, meta, c):
        op, operand = c
        word = str(op).lstrip("\\")
        return m.Func("log" if word in ("log", "ln") else word, operand, span=self._s(meta))

    @v_args(meta=True)
    def grad(self, meta, c):
        op, operand = c
        return m.Grad(_param(str(op)), operand, span=self._s(meta))

    # ---- big operators
    @v_args(meta=True)
    def bigop(self, meta, c):
        head, *rest = c
        word = str(head).lstrip("\\")
        body = rest[-1]
        index, lower, upper, over = (rest[0] if len(rest) == 2 else (None, None, None, None))
        span = self._s(meta)
        integral = word == "int"
        if integral:
            body, index = _drop_differential(body, index, meta)
        if index is None:
            raise LatexError(meta.start_pos, meta.end_pos,
                             f"\\{word} needs its index: \\{word}_{{t=0}}^{{T}} …, \\{word}_\\tau …"
                             + (" or … d\\tau" if integral else ""))
        if upper is not None and lower is None:
            raise LatexError(meta.start_pos, meta.end_pos, "an upper bound needs a lower one: \\sum_{i=1}^{N} …")
        kind = "prod" if word == "prod" else "sum"
        return m.BigOp(kind, index, body, lower, upper, over, integral=integral, span=span)

    def limits_low(self, c):
        index, lower, over = c[0]
        return index, lower, None, over

    def limits_both(self, c):
        index, lower, over = c[0]
        return index, lower, self._sup(c[1]), over

    def limits_swapped(self, c):
        index, lower, over = c[1]
        return index, lower, self._sup(c[0]), over

    @staticmethod
    def _sup(sarg) -> m.Expr:
        if len(sarg) != 1:
            raise LatexError(0, 0, "an upper bound holds one expression")
        return sarg[0]

    def bound_tok(self, c):
        tok = c[0]
        text = str(tok)
        base = GREEK_LETTERS[text[1:]] if tok.type == "GREEK" else canonical_word(text)
        return m.Name(base, span=self._t(tok))

    def bound_name(self, c):
        return c[0], None, None

    def bound_range(self, c):
        name, rel, lower = c
        if str(rel) != "=":
            raise LatexError(rel.start_pos, rel.end_pos, "write a bound with '=': \\sum_{t=0}^{T} …")
        return name, lower, None

    def bound_set(self, c):
        return c[0], None, c[2]

    @v_args(meta=True)
    def expect(self, meta, c):
        _e, (variables, dist), body = c
        return m.Expect(variables, dist, body, span=self._s(meta))

    @v_args(meta=True)
    def expect_under(self, meta, c):
        _u, (variables, dist), _e, body = c
        return m.Expect(variables, dist, body, span=self._s(meta))

    def exp_inner(self, c):
        names = tuple(x for x in c[:-2] if isinstance(x, m.Name))
        return names, _drawn_from(names, c[-1])



PARTIAL = "∂"


def _drawn_from(names: tuple[m.Name, ...], dist: m.Expr) -> m.Expr:
    """``\\tau \\sim p_\\theta(\\tau)``: the distribution written with its own variable is the distribution
    (``p_θ``); ``a \\sim \\pi_\\theta(a|s)`` is ``π_θ(·|s)``.  Any other call is left as written."""
    if not isinstance(dist, m.Call) or len(dist.args) != len(names):
        return dist
    if [a.key() if isinstance(a, m.Name) else None for a in dist.args] != [n.key() for n in names]:
        return dist
    if not dist.given:
        return dist.func
    return m.Call(dist.func, tuple(m.Placeholder(span=a.span) for a in dist.args), dist.given, span=dist.span)


def _param(text: str) -> str:
    """The parameter of ``\\nabla_\\theta``, ``\\nabla_{\\theta}``, ``\\partial_\\theta``, ``\\frac{d}{d\\theta}``."""
    if text.startswith(("\\nabla", "\\partial")) and "_" not in text:
        return ""
    if "_" in text and text.startswith(("\\nabla", "\\partial")):
        return name_text(text.split("_", 1)[1])
    # \frac{…}{\partial\theta}: the denominator's variable
    den = text[text.rfind("{") + 1:].rstrip("} \t\n")
    den = re.sub(r"^(\\partial|\\mathrm\s*\{\s*d\s*\}|\\operatorname\s*\{\s*d\s*\}|d)", "", den.strip())
    return name_text(den)


def _is_bare(e: m.Expr, base: str) -> bool:
    return isinstance(e, m.Name) and e.base == base and not e.sub and not e.primes and e.sample is None


def _derivative(num: m.Expr, den: m.Expr, span: m.Span) -> m.Expr | None:
    """``\\frac{\\partial X}{\\partial \\theta}`` and ``\\frac{d X}{d\\theta}`` → ∇_θ X; else None."""
    den_f = m.factors(den)
    if len(den_f) != 2 or not isinstance(den_f[1], m.Name):
        return None
    marker = den_f[0]
    if not (_is_bare(marker, PARTIAL) or _is_bare(marker, "d")):
        return None
    assert isinstance(marker, m.Name)
    num_f = m.factors(num)
    if not _is_bare(num_f[0], marker.base) or len(num_f) < 2:
        return None
    return m.Grad(den_f[1].key(), m.product(num_f[1:], span), span=span)


def _drop_differential(body: m.Expr, index: m.Name | None, meta) -> tuple[m.Expr, m.Name | None]:
    """``\\int_\\tau f \\, d\\tau``: the differential (``arithmetic.differential``) is notation, and names the
    index when there is none."""
    parts = m.factors(body)
    for at in range(len(parts)):
        found = differential(parts, at, index)
        if found is not None:
            rest = parts[:at] + parts[at + found[0]:]
            if not rest:
                raise LatexError(meta.start_pos, meta.end_pos, "the integral has nothing to integrate")
            return m.product(rest, body.span), index or found[1]
    return body, index


def _leftover(expr: m.Expr) -> m.Expr | None:
    """A ``\\partial`` that no fraction took: it has no meaning on its own."""
    return next((n for n in m.nodes(expr) if isinstance(n, m.Name) and n.base == PARTIAL), None)


# --------------------------------------------------------------------------- parsing rows

_WORDS = {
    "LETTER": "a letter", "GREEK": "a Greek letter", "NUMBER": "a number", "REL": "a relation (=, \\approx, …)",
    "STACKREL": "a relation", "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['", "RBRACE": "'}'",
    "LBRACE": "'{'", "COMMA": "','", "PLUS": "'+'", "MINUS": "'-'", "SLASH": "'/'", "MULOP": "\\cdot",
    "CIRCUMFLEX": "'^'", "UNDERSCORE": "'_'", "TILDE": "\\sim", "COND": "'|'", "IN": "\\in",
    "PREFIX": "\\log", "GRAD": "\\nabla_\\theta", "BIGOP": "\\sum", "EXPECT": "\\mathbb{E}", "FRAC": "\\frac",
    "$END": "the end of the row", "PLACEHOLDER": "\\cdot", "_RBRACE_ESC": "'\\}'", "_LBRACE_ESC": "'\\{'",
}


def parse_row(text: str, locate: Locate | None = None) -> Row:
    """Parse one row (no ``\\\\``, no justification) into a :class:`Row` (raises LatexError)."""
    locate = locate or relative_spans(text)
    try:
        tree = _parser().parse(text)
        row = RowBuilder(locate).transform(tree)
    except UnexpectedInput as err:
        raise _describe(err, text) from None
    except VisitError as err:
        if isinstance(err.orig_exc, LatexError):
            raise err.orig_exc from None
        if isinstance(err.orig_exc, RecursionError):   # a row nested thousands deep: the caller says so
            raise RecursionError from None
        raise
    for expr in ([row.first] if row.first is not None else []) + [link.expr for link in row.links]:
        stray = _leftover(expr)
        if stray is not None:
            raise LatexError(0, len(text), "a \\partial outside a derivative: write \\frac{\\partial X}"
                                           "{\\partial \\theta} or \\nabla_\\theta X")
    return row


def parse_expression(latex: str, macros: Macros | None = None) -> m.Expr:
    """Parse a LaTeX expression (macros expanded, no relation) into a model expression."""
    loc = Located.of(latex)
    if macros is not None:
        loc = macros.expand(loc)
    loc = normalize(unwrap(strip_wrappers(loc)))     # the notation of real notes, as in a block's rows
    row = parse_row(loc.text)
    if row.links or row.first is None:
        raise LatexError(0, len(latex), "expected an expression, not a relation")
    return row.first


def _describe(err: UnexpectedInput, text: str) -> LatexError:
    pos = getattr(err, "pos_in_stream", None)
    if isinstance(err, UnexpectedEOF) or pos is None:
        pos = len(text.rstrip())
    pos = min(pos, len(text))
    if isinstance(err, UnexpectedCharacters):
        word = control_word(text, pos) if text[pos:pos + 1] == "\\" else None
        found = "\\" + word if word else text[pos:pos + 1]
        if word:
            message = f"pgverify does not read '{found}' in LaTeX math"
        else:
            message = f"unexpected '{found}'"
        end = pos + len(found)
    elif isinstance(err, UnexpectedToken) and err.token.type != "$END":
        found = str(err.token)
        message = f"unexpected '{found}': " + _expected(err)
        end = pos + len(found)
    else:
        message = "the row ends too early: " + _expected(err)
        end = pos + 1
    return LatexError(pos, max(end, pos + 1), message)


def _expected(err: UnexpectedInput) -> str:
    names = set(getattr(err, "accepts", None) or getattr(err, "expected", None) or ())
    words = sorted({_WORDS.get(n, n.lower()) for n in names if not n.startswith("__") and n in _WORDS})
    starters = {"a letter", "a Greek letter", "a number", "'('", "\\log", "\\nabla_\\theta", "\\sum"}
    if starters <= set(words):
        words = ["an expression"] + [w for w in words if w not in starters and w not in
                                     {"'['", "\\mathbb{E}", "'-'", "'+'", "\\frac", "'{'", "'\\{'"}]
    if not words:
        return "the row cannot be read from here"
    if len(words) > 6:
        words = words[:6] + ["…"]
    return "expected " + ", ".join(words)
