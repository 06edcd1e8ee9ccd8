"""Lark tree → model for one .pgv line: names, calls, operators, statements."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from fractions import Fraction

from lark import Token, v_args
from lark.visitors import Transformer_NonRecursive

from ... import model as m
from ..arithmetic import (
    TOO_LARGE,
    ArithmeticBuilder,
    canonical_word,
    differential,
    too_many_digits,
)
from .errors import ParseFailure
from .lines import RELATIONS

LETTERS = r"[^\W\d_]"  # a letter of any script: a word character that is neither a digit nor "_"


_BIG_OPERATOR_WORDS = {"sum", "prod", "int", "Σ", "∑", "Π", "∏", "∫"}


def name_from_text(text: str, span: m.Span) -> m.Name:
    """Build a Name from a NAME token: ``π_θ``, ``rho0``, ``s_t'``, ``x^{(i)}`` (after Unicode NFKC, as every
    name: ``ｘ1`` is ``x1``)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    match = re.fullmatch(rf"({LETTERS}[^\W_]*)(?:_([^\W_]+))?('*)(?:\^\{{\(([^(){{}}]*)\)\}})?", text)
    if match is None:  # the grammar's NAME regex guarantees a match
        raise ParseFailure(m.SyntaxIssue(span, f"cannot read the name '{text}'"))
    base, sub, primes, sample = match.groups()
    if text in _BIG_OPERATOR_WORDS:
        raise ParseFailure(m.SyntaxIssue(span, f"'{text}' needs its index: write {text}_t …,"
                                               f" {text}_{{t=0}}^{{T-1}} … or {text}_{{x}} …"))
    subs: tuple[m.Expr, ...] = ()
    digits = re.fullmatch(rf"({LETTERS}+?)(\d+)", base)
    if digits and canonical_word(digits.group(1)) != digits.group(1) or digits and len(digits.group(1)) == 1:
        base, trailing = digits.group(1), digits.group(2)
        subs = (m.Num(Fraction(int(_checked_digits(trailing, span))), span=span),)
    base = canonical_word(base)
    if sub is not None:
        subs = subs + (_atom_from_text(sub, span),)
    sample_expr = _atom_from_text(sample.strip(), span) if sample else None
    return m.Name(base, subs, len(primes), sample_expr, span=span)


def _atom_from_text(text: str, span: m.Span) -> m.Expr:
    if text.isdigit():
        return m.Num(Fraction(int(_checked_digits(text, span))), span=span)
    return m.Name(canonical_word(text), span=span)


def _checked_digits(text: str, span: m.Span) -> str:
    """``text`` if it has at most MAX_DIGITS digits; else a clear syntax error (never Python's ValueError)."""
    if too_many_digits(text):
        raise ParseFailure(m.SyntaxIssue(span, TOO_LARGE))
    return text


def param_from_text(text: str) -> str:
    """The parameter of ``∇_θ``, ``grad_theta``, ``∂/∂θ``, ``dθ``; '' when not given."""
    text = text.strip()
    for prefix in ("∇", "grad"):
        if text.startswith(prefix):
            rest = text[len(prefix):].lstrip("_").strip("{} ")
            return _param_key(rest)
    match = re.search(rf"(?:∂|d)\s*({LETTERS}\w*'*)$", text)
    return _param_key(match.group(1)) if match else ""


def _param_key(word: str) -> str:
    """The key of the parameter named ``word``, read as a name is read (``θ2`` is ``θ_2``, as in ``param θ2``)."""
    try:
        return name_from_text(word, m.NOWHERE).key()
    except ParseFailure:
        return canonical_word(word)


def _span(meta, offset: int) -> m.Span:
    if getattr(meta, "empty", False) or not hasattr(meta, "line"):
        return m.NOWHERE
    return m.Span(meta.line + offset, meta.column, meta.end_line + offset, meta.end_column)


def _tspan(tok: Token, offset: int) -> m.Span:
    return m.Span(tok.line + offset, tok.column, tok.end_line + offset, tok.end_column)


def _relation(tok: Token) -> str:
    return RELATIONS[str(tok)]



FLAT_SUM = 127   # terms of a `+` chain kept left-nested as written
SUM_CHUNK = 64


def _balanced(terms: list[m.Expr], span: m.Span, node: type = m.Add) -> m.Expr:
    """The sum (``node=m.Mul``: the product) of ``terms``, in order, as a tree of depth log2(len(terms))."""
    level = list(terms)
    while len(level) > 1:
        level = [node(level[i], level[i + 1], span=span) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


class LineBuilder(ArithmeticBuilder):
    """Builds model nodes from the lark tree; positions come from ``meta``."""

    # a flat sum of thousands of terms is a tree thousands deep: it is built without recursion
    transform = Transformer_NonRecursive.transform

    def __init__(self, first_line: int):
        super().__init__()
        self.offset = first_line - 1
        self._sums: dict[int, tuple[m.Expr, list[m.Expr]]] = {}   # a `+` chain being built: its terms
        self._products: dict[int, tuple[m.Expr, list[m.Expr]]] = {}   # and a product's factors

    @v_args(meta=True)
    def add(self, meta, c):
        """``a + b + c …``: left-nested as written, but a chain of more than ``FLAT_SUM`` terms is regrouped
        (every ``SUM_CHUNK`` terms) into a balanced tree, so a flat sum of thousands of terms is not thousands
        deep for every later walk (sums are associative: only the display gains parentheses)."""
        node = m.Add(c[0], c[1], span=self._s(meta))
        _, terms = self._sums.pop(id(c[0]), (None, [c[0]]))
        terms.append(c[1])
        if len(terms) > FLAT_SUM and len(terms) % SUM_CHUNK == 0:
            node = _balanced(terms, node.span)
        self._sums[id(node)] = (node, terms)
        return node

    @v_args(meta=True)
    def mul(self, meta, c):
        return self._product(c[0], c[2], meta)

    @v_args(meta=True)
    def juxt(self, meta, c):
        return self._product(c[0], c[1], meta)

    def _product(self, left: m.Expr, right: m.Expr, meta) -> m.Expr:
        """``a b c …`` (or ``a * b * c``): regrouped as a long ``+`` chain is, and for the same reason (a
        product of hundreds of factors, such as a trajectory's probability, is not hundreds deep)."""
        node = m.Mul(left, right, span=self._s(meta))
        _, factors = self._products.pop(id(left), (None, [left]))
        factors.append(right)
        if len(factors) > FLAT_SUM and len(factors) % SUM_CHUNK == 0:
            node = _balanced(factors, node.span, m.Mul)
        self._products[id(node)] = (node, factors)
        return node

    def _s(self, meta) -> m.Span:
        return _span(meta, self.offset)

    # ---- names and atoms
    @v_args(meta=True)
    def name(self, meta, children):
        (tok,) = children
        return name_from_text(str(tok), _tspan(tok, self.offset))

    @v_args(meta=True)
    def braced_name(self, meta, children):
        tok, *subs = children
        base = name_from_text(str(tok), _tspan(tok, self.offset))
        return replace(base, sub=base.sub + tuple(subs), span=self._s(meta))

    @v_args(meta=True)
    def number(self, meta, children):
        (tok,) = children
        span = _tspan(tok, self.offset)
        return m.Num(Fraction(_checked_digits(str(tok), span)), span=span)

    @v_args(meta=True)
    def size(self, meta, children):
        (tok,) = children
        inner = str(tok).strip("| \t")
        return m.Size(name_from_text(inner, _tspan(tok, self.offset)), span=_tspan(tok, self.offset))

    @v_args(meta=True)
    def placeholder(self, meta, children):
        return m.Placeholder(span=_tspan(children[0], self.offset))

    @v_args(meta=True)
    def call(self, meta, children):
        func, _lpar, args = children
        if isinstance(func, Token):  # DECO_NAME: Q^π
            text = str(func)
            plain, deco = text.split("^", 1)
            func = replace(name_from_text(plain, _tspan(func, self.offset)),
                           decoration=canonical_word(deco.strip("{}").strip()))
        plain_args, given = args
        return m.Call(func, plain_args, given, span=self._s(meta))

    def args(self, children):
        if len(children) == 1:
            return children[0], ()
        return children[0], children[2]

    def arglist(self, children):
        return tuple(children)


    def signed(self, c):  # unary plus
        return c[-1]

    @v_args(meta=True)
    def pow(self, meta, c):
        return m.Pow(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def prefix_op(self, meta, c):
        op, operand = c
        word = str(op)
        return m.Func("log" if word in ("log", "ln") else word, operand, span=self._s(meta))

    @v_args(meta=True)
    def grad(self, meta, c):
        op, operand = c
        return m.Grad(param_from_text(str(op)), operand, span=self._s(meta))

    deriv = grad

    @v_args(meta=True)
    def frac_deriv(self, meta, c):
        _d, operand, param = c
        return m.Grad(param_from_text(str(param)), operand, span=self._s(meta))

    # ---- big operators
    @v_args(meta=True)
    def bigop(self, meta, c):
        head, bound, *rest = c
        word = str(head)
        kind = "prod" if word in ("prod", "Π", "∏") else "sum"
        body = rest[-1]
        upper = rest[0] if len(rest) == 2 else None
        index, lower, over = bound
        if word in ("int", "∫"):
            body = _drop_differential(body, index)
        if upper is not None and lower is None:
            raise ParseFailure(m.SyntaxIssue(self._s(meta), "an upper bound needs a lower one: sum_{i=1}^{N} …"))
        return m.BigOp(kind, index, body, lower, upper, over, integral=word in ("int", "∫"), span=self._s(meta))

    def bound_name(self, c):
        return c[0], None, None

    def bound_range(self, c):
        if str(c[1]) != "=":
            raise ParseFailure(m.SyntaxIssue(_tspan(c[1], self.offset), "write a bound with '=': sum_{t=0}^{T-1} …"))
        return c[0], c[2], None

    def bound_set(self, c):
        return c[0], None, c[2]

    @v_args(meta=True)
    def expect(self, meta, c):
        _e, *rest = c
        names = tuple(x for x in rest if isinstance(x, m.Name))
        tilde = next(i for i, x in enumerate(rest) if isinstance(x, Token) and x.type == "TILDE")
        variables = tuple(rest[:tilde])
        dist, body = rest[tilde + 1], rest[tilde + 2]
        del names
        return m.Expect(variables, dist, body, span=self._s(meta))

    # ---- statements
    @v_args(meta=True)
    def chain_start(self, meta, c):
        return m.ChainStart(c[0], span=self._s(meta))

    @v_args(meta=True)
    def step(self, meta, c):
        rel, expr, *just = c
        return m.StepLine(_relation(rel), expr, just[0] if just else None, span=_tspan(rel, self.offset))

    @v_args(meta=True)
    def justification(self, meta, c):
        items = tuple(x for x in c[1:])
        text = ", ".join(items)
        return m.Justification(items, text, self._s(meta))

    def rule_words(self, c):
        return str(c[0]).strip()

    def rule_string(self, c):
        return str(c[0])[1:-1].strip()

    @v_args(meta=True)
    def use(self, meta, c):
        return m.Use(str(c[0]), span=self._s(meta))

    @v_args(meta=True)
    def param(self, meta, c):
        return m.Param(tuple(c), span=self._s(meta))

    @v_args(meta=True)
    def dist(self, meta, c):
        return m.DistDecl(c[0], span=self._s(meta))

    @v_args(meta=True)
    def fun(self, meta, c):
        return m.FunDecl(c[0], positive=len(c) > 1, span=self._s(meta))

    @v_args(meta=True)
    def depends(self, meta, c):
        return m.Depends(tuple(c[:-1]), c[-1], span=self._s(meta))

    @v_args(meta=True)
    def definition(self, meta, c):
        if str(c[1]) not in ("=", ":="):
            raise ParseFailure(m.SyntaxIssue(_tspan(c[1], self.offset), "a definition is written def NAME = …"))
        return m.Definition(c[0], c[2], span=self._s(meta))

    @v_args(meta=True)
    def derivation(self, meta, c):
        title = str(c[0])[1:-1] if c else ""
        return m.Header(title, span=self._s(meta))

    @v_args(meta=True)
    def goal(self, meta, c):
        return m.Goal(c[0], _relation(c[1]), c[2], span=self._s(meta))

    @v_args(meta=True)
    def lemma(self, meta, c):
        return m.Lemma(str(c[0]), c[1], _relation(c[2]), c[3], span=self._s(meta))

    @v_args(meta=True)
    def claim(self, meta, c):
        lhs, rel, rhs, *just = c
        return m.Claim(lhs, _relation(rel), rhs, just[0] if just else None, span=self._s(meta))


def _drop_differential(body: m.Expr, index: m.Name) -> m.Expr:
    """``int_τ f dτ``: a trailing differential (``arithmetic.differential``) is notation, not a factor."""
    parts = m.factors(body)
    for at in (len(parts) - 1, len(parts) - 2):
        found = differential(parts, at, index) if at >= 1 else None
        if found is not None and at + found[0] == len(parts):
            if found[0] == 1 and isinstance(body, m.Mul) and body.right is parts[-1]:
                return body.left   # the rest of the product as it was written
            if found[0] == 2:
                return m.product(parts[:at], body.span)
    return body