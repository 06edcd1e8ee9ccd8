"""The notation of real notes, rewritten (positions kept) into what the row grammar reads.

Applied to a row after its macros are expanded, so that a site macro such as
``\\underE{x \\sim q}{f}`` = ``\\underset{\\begin{subarray}{c}#1\\end{subarray}}{\\E}\\left[#2\\right]``
with ``\\E`` = ``{\\mathrm E}`` reads as what it displays, an expectation:

* ``{\\mathrm E}``, ``\\mathrm{E}``, ``\\operatorname{E}``, ``\\mathop{\\mathbb{E}}`` before a subscript or
  under ``\\underset`` are the expectation ``\\mathbb{E}``;
* ``\\underset{X}{{\\E}}`` (extra braces) is ``\\underset{X}{\\E}``;
* ``\\textbf{x}`` is ``\\mathbf{x}``; ``\\theta^*`` (``^{*}``, ``^\\star``) is the name ``θ_star``, a name
  of its own (never θ itself);
* a tuple under ``\\sim`` (``\\mathbb{E}_{(x, y) \\sim \\mathcal{D}}``) is a joint draw of its variables;
* a slice ``\\tau_{:t}``, ``\\tau_{t:}``, ``\\tau_{u_0:u_T}`` is the subscript ``{ː, from, to}`` (``SLICE``),
  a part of the trajectory (what a step with one means: :mod:`.opaque`).

Optima, conditional expectations and evaluation bars are read by the grammar itself. Anything else that
real notes write and pgverify cannot give a meaning to (``\\ldots``, ``\\det``, ``cases`` …) is left
alone: the row does not parse and the block is skipped with the construct named (:func:`construct_of`).
"""

from __future__ import annotations

import re

from .located import Located, match_group, skip_space

_EXPECT_SPELLINGS = re.compile(
    r"\{\s*\\(?:mathrm|operatorname|mathsf|textrm)\s*(?:\{\s*E\s*\}|\s+E(?![A-Za-z]))\s*\}"  # {\mathrm E}, {\mathrm{E}}
    r"|\\(?:mathrm|operatorname\*?|mathsf|textrm)\s*\{\s*E\s*\}"              # \mathrm{E}
    r"|\\(?:mathrm|mathsf)\s+E(?![A-Za-z])"                                  # \mathrm E
    r"|\\mathop\s*\{\s*\\mathbb\s*\{\s*E\s*\}\s*\}"                           # \mathop{\mathbb{E}}
    r"|\{\s*\\mathbb\s*\{\s*E\s*\}\s*\}(?=\s*(?:_|\\left|\[))")               # {\mathbb{E}}_…
_STAR = re.compile(r"\^\s*(?:\*|\{\s*\*\s*\}|\\star(?![A-Za-z])|\{\s*\\star\s*\}|\\ast(?![A-Za-z])|\{\s*\\ast\s*\})")
_TEXTBF = re.compile(r"\\textbf(?![A-Za-z])")
_TUPLE_DRAW = re.compile(r"_\s*\{\s*\\?(?:left)?\(")


def substitute(loc: Located, pattern: re.Pattern[str], replacement: str) -> Located:
    """Every match of ``pattern`` replaced by ``replacement``, placed where the match stood."""
    pieces: list[Located] = []
    last = 0
    for found in pattern.finditer(loc.text):
        pieces.append(loc[last:found.start()])
        pieces.append(Located.made(replacement, loc.origin[found.start()]))
        last = found.end()
    if not pieces:
        return loc
    pieces.append(loc[last:])
    out = pieces[0]
    for piece in pieces[1:]:
        out = out + piece
    return out


def _untuple_draws(loc: Located) -> Located:
    """``E_{(x, y) \\sim D}``: the brackets of the tuple go, the variables stay (a joint draw)."""
    text = loc.text
    for found in reversed(list(_TUPLE_DRAW.finditer(text))):
        brace = text.index("{", found.start())
        close = match_group(text, brace)
        if close < 0:
            continue
        inside = text[brace + 1:close - 1]
        m = re.match(r"\s*(\\left\s*)?\((?P<vars>[^()]*)\)(\s*\\right\s*\))?", inside)
        if m is None or not re.match(r"\s*\\sim(?![A-Za-z])", inside[m.end():]):
            continue
        if "\\right" in m.group(0) and not m.group(0).rstrip().endswith(")"):
            continue
        start = brace + 1 + m.start()
        open_paren = brace + 1 + inside.index("(", m.start())
        close_paren = brace + 1 + m.end() - 1
        loc = loc.blank(start, open_paren + 1).blank(close_paren, close_paren + 1)
    return loc


def normalize(loc: Located) -> Located:
    """A row's notation rewritten into the row grammar's (see the module docstring)."""
    loc = substitute(loc, _EXPECT_SPELLINGS, r"\mathbb{E}")
    loc = _underset_braces(loc)
    loc = substitute(loc, _STAR, "_{star}")
    loc = substitute(loc, _TEXTBF, r"\mathbf")
    loc = _slices(loc)
    return _untuple_draws(loc)


SLICE = "ː"   # U+02D0, a letter: the mark of a slice's subscript (``τ_{ː,0,t}`` is ``\tau_{:t}``)
_SUBSCRIPT = re.compile(r"_\s*\{")


def _slices(loc: Located) -> Located:
    """``\\tau_{:t}``, ``\\tau_{t:}``, ``\\tau_{u_0:u_T}``: a slice, the subscript ``{ː, from, to}`` (an omitted
    start is 0, an omitted end is ``ː``, the end of the trajectory)."""
    text = loc.text
    for found in reversed(list(_SUBSCRIPT.finditer(text))):
        brace = found.end() - 1
        close = match_group(text, brace)
        if close < 0:
            continue
        inside = text[brace + 1:close - 1]
        colons = [i for i, ch in enumerate(inside) if ch == ":" and _depth(inside, i) == 0
                  and not inside.startswith("=", i + 1) and (i == 0 or inside[i - 1] != "\\")]
        if len(colons) != 1 or re.search(r"\\sim|=|\\in(?![A-Za-z])", inside):
            continue
        at = brace + 1 + colons[0]
        start, end = inside[:colons[0]].strip(), inside[colons[0] + 1:].strip()
        origin = loc.origin[at]
        head = Located.made(SLICE + ("," if start else ",0"), origin)
        tail = Located.made("," if end else "," + SLICE, origin)
        loc = loc[:brace + 1] + head + loc[brace + 1:at] + tail + loc[at + 1:]
        text = loc.text
    return loc


def _depth(text: str, at: int) -> int:
    """How many groups are open at ``at`` in ``text``."""
    depth = 0
    for ch in text[:at]:
        depth += 1 if ch in "{([" else -1 if ch in "})]" else 0
    return depth


def _underset_braces(loc: Located) -> Located:
    """``\\underset{X}`` followed by the expectation in any braces (none, ``{…}``, ``{{…}}``): one pair."""
    text = loc.text
    for found in reversed(list(re.finditer(r"\\underset(?![A-Za-z])", text))):
        first = skip_space(text, found.end())
        close = match_group(text, first) if text.startswith("{", first) else -1
        if close < 0:
            continue
        inner = re.match(r"\s*(\{\s*)*(\\mathbb\s*\{\s*E\s*\}|\\E(?![A-Za-z]))(\s*\})*", text[close:])
        if inner is None or inner.group(1) is not None and inner.group(3) is None:
            continue
        opened = inner.group(0)[:inner.start(2)].count("{")
        closed = inner.group(0)[inner.end(2):].count("}")
        if opened != closed:
            continue
        a, b = close + inner.start(2), close + inner.end(2)
        loc = loc[:close] + Located.made("{", loc.origin[a]) + loc[a:b] + Located.made("}", loc.origin[b]) + \
            loc[close + inner.end():]
        text = loc.text
    return loc


_CONSTRUCTS = (
    (r"\\(ldots|cdots|dots|dotsc|dotsb|vdots)(?![A-Za-z])", "an ellipsis (\\ldots): what it stands for is not written"),
    (r"\\det(?![A-Za-z])", "a determinant (\\det)"),
    (r"\\(max|min)\s*(\(|\\left|\\\{)", "a maximum of listed values (\\max(a, b)): pgverify reads \\max_x f"),
    (r"\\(max|min|sup|inf|arg\s*\\?max|arg\s*\\?min)\s*_\s*\{[^{}]*(\\in|=)",
     "an optimum over a set or a range: pgverify reads \\max_x f over all x"),
    (r"(?<!\\right)(\\(Big|big|bigg|Bigg|Bigr|bigr|biggr|Biggr)\s*\||\|)\s*_\s*\{",
     "an evaluation bar without \\left. (write \\left. f \\right|_{x=v})"),
    (r"\\(succ|prec|succeq|preceq)(?![A-Za-z])", "a preference (\\succ)"),
    (r"\\(leftarrow|gets|to|mapsto|rightarrow)(?![A-Za-z])", "an arrow (an update or a map)"),
    (r"\\neq?(?![A-Za-z])", "\\neq (an excluded index)"),
    (r"\\\|", "a norm or a divergence's \\|"),
    (r"\\(text|mathrm)\s*\{\s*KL\s*\}", "a KL divergence"),
    (r"\\begin\s*\{\s*cases\s*\}", "a piecewise definition (cases): pgverify does not read cases"),
    (r"\\begin\s*\{\s*(matrix|pmatrix|bmatrix|vmatrix)\s*\}", "a matrix"),
    (r"\\begin\s*\{\s*array\s*\}", "an array that is not an aligned chain"),
    (r"\\(forall|exists)(?![A-Za-z])", "a quantifier"),
    (r"<|>|\\(lt|gt|ll|gg)(?![A-Za-z])", "a strict inequality"),
)


def construct_of(text: str) -> str | None:
    """The first construct of real notes in ``text`` that pgverify does not read, named for a skip note."""
    for pattern, name in _CONSTRUCTS:
        if re.search(pattern, text):
            return name
    return None
