"""Text → model: cut a file into logical lines, parse each with lark, build the tree.

Error messages are worded here.  A file is read line by line (a *logical*
line joins physical lines while brackets are open or a line ends in ``\\``),
so a typo costs one line, not the file: the step after a broken line is
reported ``unknown`` and every other derivation is checked as usual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import model as m

GREEK = {
    "theta": "θ", "phi": "φ", "pi": "π", "tau": "τ", "rho": "ρ", "mu": "μ", "sigma": "σ",
    "beta": "β", "gamma": "γ", "lambda": "λ", "alpha": "α", "epsilon": "ε", "delta": "δ",
    "eta": "η", "psi": "ψ", "omega": "ω", "ϑ": "θ", "ϕ": "φ", "ϵ": "ε",
}
RELATIONS = {"=": "=", "≈": "≈", "~=": "≈", "≤": "≤", "<=": "≤", "≥": "≥", ">=": "≥", "∝": "∝", "propto": "∝"}
KEYWORDS = ("use", "param", "dist", "fun", "depends", "def", "derivation", "goal", "lemma", "claim")
_NEW_LINE_START = re.compile(r"\s*(?:(?:" + "|".join(KEYWORDS) + r")\b|~=|<=|>=|=|≈|≤|≥|∝)")
_LETTERS = r"[^\W\d_]"


class ParseFailure(Exception):
    """A logical line that could not be read; carries the worded message."""

    def __init__(self, issue: m.SyntaxIssue):
        super().__init__(issue.message)
        self.issue = issue


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammars" / "pgverify.lark").read_text(encoding="utf-8")
    # cache=True keeps the built LALR tables in the temp folder (keyed by the grammar's hash): a warm start
    # skips ~0.2 s of table construction
    return Lark(grammar, start="line", parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, cache=True)


# --------------------------------------------------------------------------- logical lines


@dataclass(frozen=True)
class LogicalLine:
    text: str        # the joined text, comments blanked, newlines kept (so columns stay true)
    line: int        # first physical line (1-based)
    last_line: int


def logical_lines(source: str) -> list[LogicalLine]:
    """Cut ``source`` into logical lines; comments become spaces so positions stay true."""
    physical = source.split("\n")
    out: list[LogicalLine] = []
    buf: list[str] = []
    start = 0
    depth = 0
    for number, raw in enumerate(physical, 1):
        text, delta, continues = _strip_line(raw)
        if buf and depth > 0 and (not text.strip() or _NEW_LINE_START.match(text)):
            # an unclosed bracket: do not swallow the next statement or step
            out.append(LogicalLine("\n".join(buf), start, number - 1))
            buf, depth = [], 0
        if not buf:
            if not text.strip():
                continue
            start = number
        buf.append(text)
        depth = max(0, depth + delta)
        if depth == 0 and not continues:
            out.append(LogicalLine("\n".join(buf), start, number))
            buf = []
    if buf:
        out.append(LogicalLine("\n".join(buf), start, len(physical)))
    return out


def _strip_line(raw: str) -> tuple[str, int, bool]:
    """Blank out a comment, count bracket depth change, and see a trailing backslash."""
    chars = list(raw)
    depth = 0
    in_string = False
    for i, ch in enumerate(chars):
        if in_string:
            in_string = ch != '"'
        elif ch == '"':
            in_string = True
        elif ch == "#":
            chars[i:] = " " * (len(chars) - i)
            break
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    text = "".join(chars).replace("\r", " ")
    stripped = text.rstrip()
    continues = stripped.endswith("\\")
    if continues:
        text = stripped[:-1] + " "
    return text, depth, continues


# --------------------------------------------------------------------------- parsing one line


def parse_line(logical: LogicalLine) -> m.Statement:
    """Parse one logical line into a statement node (raises ParseFailure)."""
    try:
        tree = _parser().parse(logical.text)
        return _Builder(logical.line).transform(tree)
    except UnexpectedInput as err:
        raise ParseFailure(_describe(err, logical)) from None
    except RecursionError:
        span = m.Span(logical.line, 1, logical.line, 2)
        raise ParseFailure(m.SyntaxIssue(span, "this line nests or chains too deeply to read: split it into"
                                               " several steps", _caret(logical.text, 0))) from None
    except VisitError as err:
        if isinstance(err.orig_exc, ParseFailure):
            issue = err.orig_exc.issue
            if not issue.context:
                issue = replace(issue, context=_caret(logical.text, _position(logical, issue.span)))
            raise ParseFailure(issue) from None
        raise


def _position(logical: LogicalLine, span: m.Span) -> int:
    """The offset in a logical line's text of a (line, column) position."""
    offset = 0
    lines = logical.text.split("\n")
    for k in range(max(0, min(span.line - logical.line, len(lines) - 1))):
        offset += len(lines[k]) + 1
    return offset + max(0, span.column - 1)


def parse_expression(text: str) -> m.Expr:
    """Parse a lone expression (for the API and tests)."""
    stmt = parse_line(LogicalLine(text, 1, 1))
    if not isinstance(stmt, m.ChainStart):
        raise ParseFailure(m.SyntaxIssue(stmt.span, "expected an expression, not a statement"))
    return stmt.expr


_TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['",
    "RBRACE": "'}'", "LBRACE": "'{'", "REL": "a relation (=, ≈, ≤, ≥, ∝)", "BY": "'by'", "COMMA": "','",
    "PLUS": "'+'", "MINUS": "'-'", "SLASH": "'/'", "MULOP": "'*'", "CIRCUMFLEX": "'^'", "TILDE": "'~'",
    "COND": "'|'", "CALL_LPAR": "'('", "RULE_WORDS": "a rule name", "STRING": "a quoted text",
    "COLONEQ": "':='", "COLON": "':'", "DPARAM": "'∂θ' (the parameter)", "LEMMA_NAME": "a lemma name",
    "PREFIX": "log/exp", "DECO_NAME": "a name", "DERIV": "'∂/∂θ'", "PARTIAL": "'∂'", "DFRAC": "'d'",
    "SIZE": "'|D|'", "GRAD": "'∇_θ'", "BIGOP": "sum/prod", "EXPECT": "'E_{'", "EQUAL": "'='",
    "IN": "'∈'", "ON": "'on'", "UNDERSCORE": "'_'", "PLACEHOLDER": "'·'", "$END": "the end of the line",
}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _describe(err: UnexpectedInput, logical: LogicalLine) -> m.SyntaxIssue:
    text = logical.text
    pos = getattr(err, "pos_in_stream", None)
    if isinstance(err, UnexpectedEOF) or pos is None:
        pos = len(text.rstrip())
    pos = min(pos, len(text))
    line_in, column = _line_col(text, pos)
    line = logical.line + line_in - 1
    span = m.Span(line, column, line, column + 1)
    found = _found_text(err, text, pos)
    at_end = isinstance(err, UnexpectedToken) and err.token.type == "$END" or isinstance(err, UnexpectedEOF)
    opener = _unclosed(text if at_end else text[:pos])
    if at_end:
        if opener is not None:
            oline, ocol = _line_col(text, opener[1])
            message = (f"'{opener[0]}' opened at line {logical.line + oline - 1}, column {ocol} is never closed;"
                       f" expected '{_CLOSERS[opener[0]]}'")
        else:
            message = "the line ends too early: " + _expected_words(err)
    elif found in ")]}" and found and opener is None:
        message = f"'{found}' closes a bracket that was never opened"
    elif isinstance(err, UnexpectedCharacters) and found:
        message = f"unexpected character '{found}': " + _expected_words(err)
    else:
        message = f"unexpected '{found}': " + _expected_words(err)
    message = _hint(text, pos, found, message)
    if not at_end and opener is not None and _CLOSERS[opener[0]] in message and "never closed" not in message:
        oline, ocol = _line_col(text, opener[1])
        message += (f" ('{opener[0]}' opened at line {logical.line + oline - 1}, column {ocol} is never closed)")
    return m.SyntaxIssue(span, message, _caret(text, pos))


def _found_text(err: UnexpectedInput, text: str, pos: int) -> str:
    if isinstance(err, UnexpectedToken):
        if err.token.type == "$END":
            return ""
        if err.token.type in ("RULE_WORDS", "LEMMA_NAME"):  # catch-all tokens: show the first word only
            return str(err.token).split()[0] if str(err.token).split() else str(err.token)
        return str(err.token)
    return text[pos:pos + 1]


def _expected_words(err: UnexpectedInput) -> str:
    names: set[str] = set()
    if isinstance(err, UnexpectedToken):
        names = set(err.accepts or err.expected)
    elif isinstance(err, UnexpectedCharacters):
        names = set(err.allowed or ())
    elif isinstance(err, UnexpectedEOF):
        names = set(err.expected)
    if {"USE", "PARAM", "DERIVATION", "REL"} <= names:
        return ("expected a statement (use, param, dist, fun, depends, def, derivation, goal, lemma, claim),"
                " an expression that starts a chain, or a step that starts with a relation (=, ≈, …)")
    words = sorted({_TERMINAL_WORDS.get(n, n.lower().replace("_", " ")) for n in names if not n.startswith("__")})
    starters = {"a name", "a number", "'('", "log/exp", "'∇_θ'", "sum/prod"}
    if starters <= set(words):
        words = ["an expression"] + [w for w in words if w not in starters and w not in
                                     {"'['", "'E_{'", "'-'", "'+'", "'∂'", "'∂/∂θ'", "'d'", "'|D|'"}]
    if not words:
        return "the line cannot be read from here"
    if len(words) > 6:
        words = words[:6] + ["…"]
    return "expected " + ", ".join(words)


def _hint(text: str, pos: int, found: str, message: str) -> str:
    """Add a word of advice for common slips."""
    before = text[:pos].rstrip()
    if re.search(r"(E|𝔼)_\{[^}~∼]*$", before) and found in ("}", "]"):
        return "an expectation needs its distribution: write E_{x ~ p}[ … ]"
    if re.search(r"(sum|prod|Σ|∑|Π|∏)$", before):
        return "a big operator needs its index: write sum_t …, sum_{t=0}^{T-1} … or sum_{x} …"
    if found == "=" and re.search(r"(sum|prod|Σ|∑|Π|∏)_\w+$", before):
        return "write bounds in braces: sum_{t=0}^{T-1} …"
    if found in RELATIONS and not re.match(r"\s*(~=|<=|>=|=|≈|≤|≥|∝|claim|goal|lemma|def)", text):
        return (f"unexpected '{found}': a relation starts a step on its own line (after the chain's first"
                " expression); for a one-line step write `claim A = B`")
    if before.endswith(("by", "by ")):
        return "a justification needs a rule name after 'by' (see `pgverify rules`)"
    return message


def _unclosed(text: str) -> tuple[str, int] | None:
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if ch in "([{":
            stack.append((ch, i))
        elif ch in ")]}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _caret(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    source = text[start:end].rstrip()
    return source + "\n" + " " * (pos - start) + "^"


# --------------------------------------------------------------------------- tree → model


def canonical_word(word: str) -> str:
    """Map an ASCII Greek spelling to its letter (``theta`` → ``θ``)."""
    return GREEK.get(word, word)


_BIG_OPERATOR_WORDS = {"sum", "prod", "int", "Σ", "∑", "Π", "∏", "∫"}


def name_from_text(text: str, span: m.Span) -> m.Name:
    """Build a Name from a NAME token: ``π_θ``, ``rho0``, ``s_t'``, ``x^{(i)}``."""
    match = re.fullmatch(rf"({_LETTERS}[^\W_]*)(?:_([^\W_]+))?('*)(?:\^\{{\(([^(){{}}]*)\)\}})?", text)
    if match is None:  # the grammar's NAME regex guarantees a match
        raise ParseFailure(m.SyntaxIssue(span, f"cannot read the name '{text}'"))
    base, sub, primes, sample = match.groups()
    if text in _BIG_OPERATOR_WORDS:
        raise ParseFailure(m.SyntaxIssue(span, f"'{text}' needs its index: write {text}_t …,"
                                               f" {text}_{{t=0}}^{{T-1}} … or {text}_{{x}} …"))
    subs: tuple[m.Expr, ...] = ()
    digits = re.fullmatch(rf"({_LETTERS}+?)(\d+)", base)
    if digits and canonical_word(digits.group(1)) != digits.group(1) or digits and len(digits.group(1)) == 1:
        base, trailing = digits.group(1), digits.group(2)
        subs = (m.Num(Fraction(int(trailing)), span=span),)
    base = canonical_word(base)
    if sub is not None:
        subs = subs + (_atom_from_text(sub, span),)
    sample_expr = _atom_from_text(sample.strip(), span) if sample else None
    return m.Name(base, subs, len(primes), sample_expr, span=span)


def _atom_from_text(text: str, span: m.Span) -> m.Expr:
    if text.isdigit():
        return m.Num(Fraction(int(text)), span=span)
    return m.Name(canonical_word(text), span=span)


def param_from_text(text: str) -> str:
    """The parameter of ``∇_θ``, ``grad_theta``, ``∂/∂θ``, ``dθ``; '' when not given."""
    text = text.strip()
    for prefix in ("∇", "grad"):
        if text.startswith(prefix):
            rest = text[len(prefix):].lstrip("_").strip("{} ")
            return canonical_word(rest)
    match = re.search(rf"(?:∂|d)\s*({_LETTERS}\w*'*)$", text)
    return canonical_word(match.group(1)) if match else ""


def _span(meta, offset: int) -> m.Span:
    if getattr(meta, "empty", False) or not hasattr(meta, "line"):
        return m.NOWHERE
    return m.Span(meta.line + offset, meta.column, meta.end_line + offset, meta.end_column)


def _tspan(tok: Token, offset: int) -> m.Span:
    return m.Span(tok.line + offset, tok.column, tok.end_line + offset, tok.end_column)


def _relation(tok: Token) -> str:
    return RELATIONS[str(tok)]


class ArithmeticBuilder(Transformer):
    """Tree → model for the arithmetic both front ends share (.pgv and LaTeX); ``_s`` gives a span."""

    def _s(self, meta) -> m.Span:
        raise NotImplementedError

    @v_args(meta=True)
    def add(self, meta, c):
        return m.Add(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def sub(self, meta, c):
        return m.Sub(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def mul(self, meta, c):
        return m.Mul(c[0], c[2], span=self._s(meta))

    @v_args(meta=True)
    def juxt(self, meta, c):
        return m.Mul(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def div(self, meta, c):
        return m.Div(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def neg(self, meta, c):
        return m.Neg(c[-1], span=self._s(meta))


class _Builder(ArithmeticBuilder):
    """Builds model nodes from the lark tree; positions come from ``meta``."""

    def __init__(self, first_line: int):
        super().__init__()
        self.offset = first_line - 1

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
        return m.Num(Fraction(str(tok)), span=_tspan(tok, self.offset))

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
    """``int_τ f dτ``: the trailing ``dτ`` is notation, not a factor."""
    def is_differential(e: m.Expr) -> bool:
        return isinstance(e, m.Name) and not e.sub and e.base.startswith("d") and \
            canonical_word(e.base[1:]) == index.base
    if isinstance(body, m.Mul) and is_differential(body.right):
        return body.left
    return body


# --------------------------------------------------------------------------- files


def parse_source(source: str, path: str = "<input>") -> m.SourceFile:
    """Parse a whole file into declarations, derivations and errors (never raises)."""
    return _Assembler(path, source).run()


def parse_file(path: str | Path) -> m.SourceFile:
    """Read and parse a file; an unreadable or non-UTF-8 file becomes an error entry."""
    p = Path(path)
    try:
        source = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        issue = m.SyntaxIssue(m.Span(1, 1, 1, 1), f"not UTF-8 text (byte {err.start})")
        return m.SourceFile(str(path), (), (), (issue,))
    except OSError as err:
        issue = m.SyntaxIssue(m.Span(0, 0, 0, 0), f"cannot read the file: {err.strerror or err}")
        return m.SourceFile(str(path), (), (), (issue,))
    return parse_source(source, str(path))


@dataclass
class _Open:
    """A derivation being assembled."""

    title: str
    span: m.Span
    declarations: list
    goal: m.Goal | None = None
    lemma: str | None = None
    implicit: bool = False

    def __post_init__(self):
        self.steps: list[m.Step] = []
        self.chains: list[list[m.Expr]] = []
        self.last: m.Expr | None = None      # the expression a next step relates to
        self.in_chain = False


class _Assembler:
    def __init__(self, path: str, source: str):
        self.path = path
        self.source = source.replace("\r\n", "\n")
        self.lines = tuple(self.source.split("\n"))
        self.declarations: list = []
        self.derivations: list[m.Derivation] = []
        self.errors: list[m.SyntaxIssue] = []
        self.current: _Open | None = None
        self.seen_header = False

    def run(self) -> m.SourceFile:
        if self.source.startswith("\ufeff"):
            self.source = self.source[1:]
        for logical in logical_lines(self.source):
            try:
                stmt = parse_line(logical)
            except ParseFailure as failure:
                self.errors.append(failure.issue)
                self._broken_line(logical)
                continue
            self._take(stmt, logical)
        self._close()
        return m.SourceFile(self.path, tuple(self.declarations), tuple(self.derivations), tuple(self.errors),
                            self.lines)

    def _text(self, logical: LogicalLine) -> str:
        """The step as written, comments left out, on one line."""
        return " ".join(logical.text.split())

    def _broken_line(self, logical: LogicalLine) -> None:
        """A line that did not parse: keep its place in the chain as an unreadable step."""
        first = logical.text.lstrip()
        if self.current is not None and self.current.in_chain and re.match(r"(~=|<=|>=|=|≈|≤|≥|∝)", first):
            column = len(logical.text) - len(first) + 1
            span = m.Span(logical.line, column, logical.line, column + 1)
            self.current.steps.append(m.Step(self.current.last, "?", None, None, span, self._text(logical)))
        if self.current is not None:
            self.current.last = None

    def _open(self, title: str, span: m.Span, implicit: bool = False, lemma: str | None = None) -> _Open:
        self._close()
        self.current = _Open(title, span, [], lemma=lemma, implicit=implicit)
        return self.current

    def _close(self) -> None:
        d = self.current
        if d is None:
            return
        self.current = None
        if not d.steps and d.goal is None and not d.chains and d.implicit:
            return
        chains = tuple((c[0], c[-1]) for c in d.chains if c)
        self.derivations.append(m.Derivation(d.title, d.span, tuple(d.declarations), d.goal, tuple(d.steps),
                                             d.lemma, chains))

    def _take(self, stmt: m.Statement, logical: LogicalLine) -> None:  # noqa: C901 - one case per statement
        match stmt:
            case m.Header(title=title):
                self.seen_header = True
                self._open(title or f"derivation at line {logical.line}", stmt.span)
            case m.Lemma(name=name):
                self.seen_header = True
                d = self._open(f"lemma {name}", stmt.span, lemma=name)
                d.goal = m.Goal(stmt.lhs, stmt.relation, stmt.rhs, span=stmt.span)
            case m.Use() | m.Param() | m.DistDecl() | m.FunDecl() | m.Depends() | m.Definition():
                if self.current is not None and self.seen_header:
                    self.current.declarations.append(stmt)
                    self.current.in_chain = False
                else:
                    if self.current is not None and self.current.implicit:
                        self._close()
                    self.declarations.append(stmt)
            case m.Goal():
                d = self.current
                if d is None or (d.implicit and (d.goal is not None or d.chains)) or d.goal is not None:
                    d = self._open(f"derivation at line {logical.line}", stmt.span, implicit=True)
                d.goal = stmt
                d.in_chain = False
            case m.Claim():
                d = self.current
                if d is None or (d.implicit and (d.steps or d.goal is not None)):
                    d = self._open(f"claim at line {logical.line}", stmt.span, implicit=True)
                d.steps.append(m.Step(stmt.lhs, stmt.relation, stmt.rhs, stmt.justification, stmt.span,
                                      self._text(logical)))
                d.chains.append([stmt.lhs, stmt.rhs])
                d.in_chain = False
                d.last = None
            case m.ChainStart(expr=expr):
                d = self.current
                if d is None or (d.implicit and d.chains):
                    d = self._open(f"derivation at line {logical.line}", stmt.span, implicit=True)
                d.chains.append([expr])
                d.last = expr
                d.in_chain = True
            case m.StepLine(relation=rel, expr=expr, justification=just):
                d = self.current
                if d is None or not d.in_chain:
                    self.errors.append(m.SyntaxIssue(stmt.span, "a step needs a line before it to relate to:"
                                                     " start the chain with an expression on its own line",
                                                     _caret(logical.text, stmt.span.column - 1)))
                    return
                d.steps.append(m.Step(d.last, rel, expr, just, stmt.span, self._text(logical)))
                d.chains[-1].append(expr)
                d.last = expr
