"""The catalogue: every rule and every named mistake, one family module each, and lookup.

A derivation step cites rules with ``by name, other-name`` or ``by "free
text"``. A family module (``basics``, ``probability``, ``logs``, ``calculus``,
``score``, ``dynamics``, ``estimation``, ``rl``, ``inequalities``) holds, for each of its rules,
everything about it: the canonical name and aliases, the statement, the side
conditions with the predicates that decide them (``predicates``), the purpose,
a valid and a flawed example, the kernel rewrites citing it switches on (its
own are defined in the module, as pure functions), and the misconceptions
that misuse it, with their detectors (built from ``mistakes``) and hints.
The kernel, the diagnosis and the ledger discover all of it here.

Adding a rule touches its family module, ``proofs/`` and ``tests/`` only: a
:class:`Rule` entry in the module's ``RULES``, its rewrites (``@rewrite``) in
its ``REWRITES`` (or ``no_rewrite_because``), its mistakes in its
``MISCONCEPTIONS``; then ``python -m pgverify.docs`` regenerates the README's
table. The meta-tests (``tests/test_catalogue.py``) say what is missing.

Public API:

- :data:`RULES`, :data:`MISCONCEPTIONS`: the catalogues, in a stable order.
- :func:`lookup`: a name or alias, as written by a user, to its :class:`Rule`.
- :func:`split_justification`: a justification text to the rules it cites.
- :func:`suggest`: nearest canonical names, for "unknown rule, did you mean …".
- :func:`rule`, :func:`misconception`, :func:`misconceptions_for`, :func:`rewrite_named`: by name.
- :data:`REWRITES`, :data:`FAMILIES`: every rule's own rewrites; the family modules, in order.

Rule text is matched through :func:`normalize_rule_text`, which makes matching
insensitive to case, punctuation, Greek-versus-ASCII spelling, a leading
"by" and articles; the catalogue is checked at import time so that no two
rules share a name or an alias under that normalization.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from pgverify.rules import (
    basics,
    calculus,
    dynamics,
    estimation,
    inequalities,
    logs,
    probability,
    rl,
    score,
)
from pgverify.rules.base import KERNEL_OPTIONS, LEMMA_REWRITES, OPTION_CREDITS, Misconception, Rewrite, Rule

__all__ = [
    "MISCONCEPTIONS",
    "RULES",
    "CatalogueError",
    "FAMILIES",
    "Misconception",
    "REWRITES",
    "Rewrite",
    "Rule",
    "is_rule",
    "rewrite_named",
    "lookup",
    "misconception",
    "misconceptions_for",
    "normalize_rule_text",
    "rule",
    "split_justification",
    "suggest",
]


class CatalogueError(ValueError):
    """The catalogue itself is inconsistent: a programming error, raised at import."""


# The family modules, in the order the catalogue lists them. A family module defines RULES (its
# rules) and, when it has any, REWRITES (the kernel rewrites its rules own) and MISCONCEPTIONS.
FAMILIES = (basics, probability, logs, calculus, score, dynamics, estimation, rl, inequalities)

RULES: tuple[Rule, ...] = tuple(entry for family in FAMILIES for entry in family.RULES)

# Every rule's own rewrites, from the modules that define them.
REWRITES: tuple[Rewrite, ...] = tuple(entry for family in FAMILIES for entry in getattr(family, "REWRITES", ()))

# The misconceptions, each with its detectors, from the module of the first rule it misuses.
MISCONCEPTIONS: tuple[Misconception, ...] = tuple(
    entry for family in FAMILIES for entry in getattr(family, "MISCONCEPTIONS", ())
)

# --------------------------------------------------------------------------
# Normalization of rule text
# --------------------------------------------------------------------------

# Operators that the language spells in Unicode or ASCII (LANGUAGE.md,
# "Lexical rules"), mapped to their ASCII word before lowercasing, because
# lowercasing would turn the operators Σ and Π into the letters σ and π.
_OPERATOR_WORDS: Mapping[str, str] = {
    "∇": "grad", "Σ": "sum", "∑": "sum", "Π": "prod", "∏": "prod",
    "∫": "int", "∂": "d", "𝔼": "e",
}  # fmt: skip
# Greek letters, mapped after lowercasing (so a capital Θ is θ too).
_LETTER_WORDS: Mapping[str, str] = {
    "θ": "theta", "ϑ": "theta", "φ": "phi", "ϕ": "phi", "π": "pi", "τ": "tau",
    "ρ": "rho", "μ": "mu", "σ": "sigma", "ς": "sigma", "β": "beta",
    "γ": "gamma", "λ": "lambda", "α": "alpha", "ε": "epsilon", "ϵ": "epsilon",
    "δ": "delta", "η": "eta", "ψ": "psi", "ω": "omega",
}  # fmt: skip
_OPERATOR_TABLE = str.maketrans({k: f" {v} " for k, v in _OPERATOR_WORDS.items()})
_LETTER_TABLE = str.maketrans({k: f" {v} " for k, v in _LETTER_WORDS.items()})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Words that carry no meaning in a rule citation: "by the definition of the
# expectation" and "definition of expectation" cite the same rule.
_LEADING_WORDS = frozenset({"by", "using", "via"})
_ARTICLES = frozenset({"a", "an", "the"})
_KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def normalize_rule_text(text: str) -> str:
    """Return the matching key of a rule name, alias or cited phrase.

    Two spellings cite the same rule exactly when their keys are equal. The key
    is built by: Unicode NFKC (so ``𝔼`` and ``ϑ`` fold to ``E`` and ``θ``);
    math symbols and Greek letters spelled as in the language's ASCII form
    (``∇`` → ``grad``, ``Σ`` → ``sum``, and after lowercasing ``θ``/``Θ`` →
    ``theta``, ``γ`` → ``gamma``); every run of characters other than
    ``a-z``/``0-9`` (hyphens, underscores, quotes, slashes, ``^``) collapsed to
    a single space; a leading ``by``/``using``/``via`` dropped; the articles
    ``a``/``an``/``the`` dropped.

    >>> normalize_rule_text("By the Log-Derivative trick")
    'log derivative trick'
    >>> normalize_rule_text("θ-independence") == normalize_rule_text("THETA_INDEPENDENCE")
    True
    """
    folded = unicodedata.normalize("NFKC", text).translate(_OPERATOR_TABLE)
    folded = folded.lower().translate(_LETTER_TABLE)
    words = _NON_ALNUM.sub(" ", folded).split()
    if len(words) > 1 and words[0] in _LEADING_WORDS:
        words = words[1:]
    kept = [word for word in words if word not in _ARTICLES]
    # A text made only of articles keeps them rather than becoming empty.
    return " ".join(kept or words)


def _compact(key: str) -> str:
    """Drop the spaces of a key, so ``logderivative`` still finds ``log-derivative``."""
    return key.replace(" ", "")


def _rule_spellings(entry: Rule) -> Iterable[str]:
    """Yield the canonical name of a rule, then its aliases."""
    yield entry.name
    yield from entry.aliases


def _build_index(rules: Iterable[Rule]) -> dict[str, Rule]:
    """Map every normalized name and alias to its rule.

    Raises:
        CatalogueError: a name is not kebab-case, two rules share a canonical
            name, or one key (or its space-free form) would cite two rules.
    """
    index: dict[str, Rule] = {}
    compact_owner: dict[str, Rule] = {}
    names: set[str] = set()
    for entry in rules:
        if not _KEBAB.fullmatch(entry.name):
            raise CatalogueError(f"rule name {entry.name!r} is not kebab-case")
        if entry.name in names:
            raise CatalogueError(f"two rules are named {entry.name!r}")
        names.add(entry.name)
        for spelling in _rule_spellings(entry):
            key = normalize_rule_text(spelling)
            if not key:
                raise CatalogueError(f"rule {entry.name!r} has an empty alias")
            for table, k in ((index, key), (compact_owner, _compact(key))):
                owner = table.setdefault(k, entry)
                if owner is not entry:
                    raise CatalogueError(
                        f"{spelling!r} of rule {entry.name!r} collides with rule "
                        f"{owner.name!r} (key {k!r})"
                    )
    return index


def _index_rewrites(rewrites: Iterable[Rewrite], rules: Iterable[Rule]) -> dict[str, Rewrite]:
    """Index rewrites by name, checking that every rule lists known rewrites and options.

    Raises:
        CatalogueError: two rewrites share a name, a rule lists an unknown
            rewrite or kernel option, a rewrite credits an unknown rule, or a
            rule has neither a rewrite nor a reason for having none.
    """
    by_name: dict[str, Rewrite] = {}
    for entry in rewrites:
        if entry.name in by_name:
            raise CatalogueError(f"two rewrites are named {entry.name!r}")
        if not entry.statement:
            raise CatalogueError(f"rewrite {entry.name!r} has no docstring stating it")
        by_name[entry.name] = entry
    names = {entry.name for entry in rules}
    for entry in rules:
        unknown = [r for r in entry.rewrites if r not in by_name]
        unknown += sorted(set(entry.kernel_options) - KERNEL_OPTIONS)
        if unknown:
            raise CatalogueError(f"rule {entry.name!r} lists unknown rewrites or options {unknown!r}")
        if not (entry.rewrites or entry.kernel_options) and not entry.no_rewrite_because:
            raise CatalogueError(f"rule {entry.name!r} has no rewrite and does not say why")
    unknown_support = [r for r in LEMMA_REWRITES if r not in by_name]
    unknown_support += [r for r in OPTION_CREDITS.values() if r not in names]
    if unknown_support:
        raise CatalogueError(f"the kernel's lemma rewrites or option credits name unknown entries {unknown_support!r}")
    for entry in by_name.values():
        if not set(entry.credits) <= names:
            raise CatalogueError(f"rewrite {entry.name!r} credits unknown rules {entry.credits!r}")
    return by_name


_INDEX: dict[str, Rule] = _build_index(RULES)
_COMPACT_INDEX: dict[str, Rule] = {_compact(k): r for k, r in _INDEX.items()}
_BY_NAME: dict[str, Rule] = {entry.name: entry for entry in RULES}
_REWRITES_BY_NAME: dict[str, Rewrite] = _index_rewrites(REWRITES, RULES)


def _check_misconceptions(entries: Iterable[Misconception]) -> dict[str, Misconception]:
    """Index misconceptions by name, checking names and rule references.

    Raises:
        CatalogueError: a name is not kebab-case or repeats, or an entry cites
            a rule that is not a canonical rule name.
    """
    by_name: dict[str, Misconception] = {}
    ranks: dict[int, str] = {}
    for entry in entries:
        if not entry.detectors or entry.rank in ranks:
            raise CatalogueError(f"misconception {entry.name!r} needs detectors and a rank of its own")
        ranks[entry.rank] = entry.name
        if not _KEBAB.fullmatch(entry.name):
            raise CatalogueError(f"misconception name {entry.name!r} is not kebab-case")
        if entry.name in by_name:
            raise CatalogueError(f"two misconceptions are named {entry.name!r}")
        unknown = [name for name in entry.rules if name not in _BY_NAME]
        if not entry.rules or unknown:
            raise CatalogueError(
                f"misconception {entry.name!r} must cite known rules, got {entry.rules!r}"
            )
        by_name[entry.name] = entry
    return by_name


_MISCONCEPTIONS_BY_NAME: dict[str, Misconception] = _check_misconceptions(
    MISCONCEPTIONS
)

# --------------------------------------------------------------------------
# Lookup
# --------------------------------------------------------------------------


def lookup(text: str) -> Rule | None:
    """Return the rule that ``text`` names, or ``None``.

    ``text`` may be a canonical name or an alias, in any case and punctuation
    (``Log-Derivative``, ``log derivative``, ``LOG_DERIVATIVE``, ``by the
    likelihood-ratio trick``); see :func:`normalize_rule_text`. A spelling
    without spaces (``logderivative``) also matches.
    """
    key = normalize_rule_text(text)
    if not key:
        return None
    return _INDEX.get(key) or _COMPACT_INDEX.get(_compact(key))


def rule(name: str) -> Rule:
    """Return the rule whose canonical name is exactly ``name``.

    Raises:
        KeyError: no rule has that canonical name (aliases are not accepted:
            use :func:`lookup` for user text).
    """
    return _BY_NAME[name]


def is_rule(name: str) -> bool:
    """Is ``name`` exactly the canonical name of a catalogue rule?"""
    return name in _BY_NAME


def rewrite_named(name: str) -> Rewrite:
    """Return the rewrite whose function is called ``name``; ``KeyError`` otherwise."""
    return _REWRITES_BY_NAME[name]


def misconception(name: str) -> Misconception:
    """Return the misconception (or generic mistake, ``rules.generic``) named exactly ``name``; ``KeyError``
    otherwise."""
    if name in _MISCONCEPTIONS_BY_NAME:
        return _MISCONCEPTIONS_BY_NAME[name]
    from .generic import GENERIC_MISTAKES

    for entry in GENERIC_MISTAKES:
        if entry.name == name:
            return entry
    raise KeyError(name)


def misconceptions_for(rule_name: str) -> tuple[Misconception, ...]:
    """Return the misconceptions that misuse the rule with canonical name ``rule_name``."""
    return tuple(entry for entry in MISCONCEPTIONS if rule_name in entry.rules)


# Separators between cited rules: commas, semicolons, "&", a "+" between
# spaces, and the words "and"/"then". A "/" is deliberately not a separator:
# "linearity of the gradient/sum" is one phrase.
_SEPARATOR = re.compile(r"\s*(?:[,;&]|\s\+\s|\band\b|\bthen\b)\s*", re.IGNORECASE)
_QUOTES = "\"'“”‘’`"


def split_justification(text: str) -> list[str]:
    """Split a justification into the separate rule citations it contains.

    ``"definition, log-product"`` gives ``["definition", "log-product"]`` and
    ``"log of a product and linearity"`` gives ``["log of a product",
    "linearity"]``. A phrase that is itself a name or alias is never split, even
    when it contains a separator (``"exp and log are inverse"``): pieces are
    split at every separator and then greedily re-joined, from the left, into
    the longest run that :func:`lookup` recognises. Pieces that match no rule
    are returned as written (stripped), so the caller can report them as
    unknown and :func:`suggest` names for them. Empty pieces are dropped.
    """
    body = text.strip().strip(_QUOTES).strip()
    if not body:
        return []
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _SEPARATOR.finditer(body):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(body)))
    bounds = [(lo, hi) for lo, hi in bounds if body[lo:hi].strip()]

    pieces: list[str] = []
    i = 0
    while i < len(bounds):
        end = i + 1  # the single piece, if no longer run is a rule
        for j in range(len(bounds), i + 1, -1):
            if lookup(body[bounds[i][0] : bounds[j - 1][1]]) is not None:
                end = j
                break
        piece = body[bounds[i][0] : bounds[end - 1][1]].strip().strip(_QUOTES).strip()
        if piece:
            pieces.append(piece)
        i = end
    return pieces


def suggest(text: str, n: int = 3) -> list[str]:
    """Return up to ``n`` canonical rule names closest to ``text``, best first.

    Similarity is :mod:`difflib`'s ratio between normalized keys, over every
    name and alias; each rule appears once, at the rank of its best spelling.
    Returns an empty list when nothing is reasonably close.
    """
    # imported here: only a citation that names no rule needs it
    import difflib

    key = normalize_rule_text(text)
    if not key or n <= 0:
        return []
    candidates = difflib.get_close_matches(key, list(_INDEX), n=len(_INDEX), cutoff=0.6)
    names: list[str] = []
    for candidate in candidates:
        name = _INDEX[candidate].name
        if name not in names:
            names.append(name)
        if len(names) == n:
            break
    return names
