"""The two record types of the catalogue: :class:`Rule` and :class:`Misconception`.

Both are plain frozen data. The catalogue says what a rule is called, what it
states, when it applies and how it is taught, and which of the kernel's
rewrites citing it switches on. A rewrite (:class:`Rewrite`) is a small pure
function ``(expr, kernel) -> expr | None`` written next to its rule, as in
sympy's ``strategies``; the kernel only applies rewrites. Reading the
catalogue never loads sympy: a family module reaches sympy and the kernel's
node types through :class:`LazyModule`, loaded the first time a rewrite runs.
"""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Protocol

from ..model.records import finish, record

# Kernel options a rule may switch on besides rewrites (the kernel reads them by these names).
UNFOLD_DISTRIBUTIONS = "unfold-distributions"   # also try the normal form with normalized distributions unfolded
ALGEBRAIC_COMPARISON = "algebraic-comparison"   # compare normal forms up to sympy's algebra, not only structurally
# The inequality facts of pgverify/kernel/inequalities.py, each switched on by the rule of the same name
# (pgverify/rules/inequalities.py) and credited to it when a proof of an inequality uses it.
JENSEN = "jensen"                   # log E[X] ≥ E[log X] (X > 0), exp E[X] ≤ E[exp X]
CAUCHY_SCHWARZ = "cauchy-schwarz"   # (sum u)^2 ≤ (sum v)(sum z) when u^2 = v z and v, z ≥ 0 termwise
KL_NONNEGATIVE = "kl-nonnegative"   # sum_x p log(p/q) ≥ 0 for two normalized distributions over x
ENTROPY_BOUNDS = "entropy-bounds"   # log p ≤ 0 for a probability; H(p) ≤ log of the number of values
INEQUALITY_FACTS = frozenset({JENSEN, CAUCHY_SCHWARZ, KL_NONNEGATIVE, ENTROPY_BOUNDS})
KERNEL_OPTIONS = frozenset({UNFOLD_DISTRIBUTIONS, ALGEBRAIC_COMPARISON}) | INEQUALITY_FACTS
# The rule a proof credits when it needed an option (the comparison up to algebra is `algebra`'s).
OPTION_CREDITS = {ALGEBRAIC_COMPARISON: "algebra", UNFOLD_DISTRIBUTIONS: "definition"} | \
    {fact: fact for fact in INEQUALITY_FACTS}
# The rewrites the kernel switches on to expose a cited lemma inside a side (sums split over +).
LEMMA_REWRITES = ("split_sum",)

# The node types a rewrite may be registered for; the kernel maps each name to its sympy class.
NODE_TYPES = frozenset({"Sum", "Product", "Grad", "Weight", "log", "call"})


HOLDS, ASSUMED, VIOLATED = "holds", "assumed", "violated"


@record(slots=False)
class StepFacts:
    """What a side condition's predicate may look at: one step, already decided.

    Attributes:
        exprs: the step's two sides (``pgverify.model`` expressions).
        ctx: the declarations in force (a ``pgverify.semantics.Context``).
        verdict: the step's verdict (``proved``, ``checked``, ``refuted``, ``unknown``).
        diagnosis: the misconception the diagnosis named (``name``, ``title``), if any.
        positive: pgverify's one positivity test for an expression of this step
            (the kernel's ``positive_by_declaration``, which the ledger hands in, so the
            catalogue never imports the kernel).
    """

    exprs: tuple[Any, ...]
    ctx: Any
    verdict: str
    diagnosis: Mapping[str, str] | None
    positive: Callable[[Any], bool] = lambda e: False


# A condition's predicate: the status of the condition for one step (HOLDS, ASSUMED or VIOLATED) and a note.
ConditionCheck = Callable[[StepFacts], tuple[str, str]]


class Condition(str):
    """A side condition of a rule: its words (the string itself, as reports show it) and its predicate.

    The ledger never reads the words to decide: it calls ``check`` (``pgverify/rules/predicates.py``
    holds the predicates the catalogue uses).  A ledger status never changes a verdict.
    """

    check: ConditionCheck

    def __new__(cls, text: str, check: ConditionCheck) -> Condition:
        entry = super().__new__(cls, text)
        entry.check = check
        return entry

    @property
    def text(self) -> str:
        """The condition in words."""
        return str(self)


class KernelView(Protocol):
    """What a rewrite may read of the normalization running it (and nothing it may change).

    ``tr`` is the translation (``defs``, ``dists``, ``params``, ``size(domain)``,
    ``trajectory_schema()``, ``step_functions()``: memoized, so asking twice gives
    the same symbols); ``options`` the kernel options switched on.
    """

    tr: Any
    options: frozenset[str]

    def normalized(self, w: Any, i: Any, lo: Any, hi: Any) -> bool:
        """Does ``sum_{i=lo}^{hi} w`` sum a normalized distribution over its own variable?"""

    def expand_body(self, body: Any) -> Any:
        """A sum's body distributed over ``+`` (with the algebraic comparison, powers too)."""


@record(slots=False)
class Rewrite:
    """One rewrite of the kernel: ``apply(expr, kernel) -> expr | None``, an equivalence.

    Attributes:
        apply: the pure function; it returns None when it does not apply, and
            never changes its arguments or anything they reach.
        node: the node type it is tried on (one of :data:`NODE_TYPES`).
        priority: among the rewrites of one node type, lower is tried first;
            the first one that changes the node wins.
        credits: the rules reported as used when it fires.
    """

    apply: Callable[[Any, KernelView], Any]
    node: str
    priority: int
    credits: tuple[str, ...]

    @property
    def name(self) -> str:
        """The function's name: how rules list the rewrites they switch on."""
        return self.apply.__name__

    @property
    def statement(self) -> str:
        """The first line of its docstring, which states the rewrite."""
        return (self.apply.__doc__ or "").strip().splitlines()[0] if self.apply.__doc__ else ""

    def __call__(self, e: Any, kernel: KernelView) -> Any:
        return self.apply(e, kernel)


def rewrite(node: str, priority: int, credits: str | tuple[str, ...]) -> Callable[[Callable[..., Any]], Rewrite]:
    """Declare the decorated function a :class:`Rewrite` of ``node`` nodes, credited to ``credits``."""
    if node not in NODE_TYPES:
        raise ValueError(f"a rewrite cannot be registered for {node!r} nodes")
    names = (credits,) if isinstance(credits, str) else tuple(credits)

    def declare(fn: Callable[..., Any]) -> Rewrite:
        return Rewrite(fn, node, priority, names)

    return declare


class LazyModule:
    """A module imported the first time one of its attributes is read (sympy, the kernel's terms)."""

    def __init__(self, name: str) -> None:
        self._lazy_name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__dict__["_lazy_name"])
        self.__dict__.update(vars(module))   # later reads are plain attribute reads
        return getattr(module, attr)


@record(slots=False)
class Rule:
    """A named step that a derivation may cite with ``by name``.

    Attributes:
        name: canonical kebab-case name; stable, never renamed (add an alias
            instead).
        aliases: other spellings and phrases that cite the same rule; matched
            case- and punctuation-insensitively (see ``normalize_rule_text``).
        family: the catalogue module the rule lives in (``"logs"``, ``"score"`` …).
        statement: ``"LHS -> RHS"`` in ``.pgv`` syntax, several forms separated
            by ``;``.
        conditions: side conditions (:class:`Condition`: words and a predicate),
            shown in reports as a ledger.
        purpose: why the step matters in a policy-gradient derivation.
        valid_example: a complete ``.pgv`` file whose steps are all valid and
            cite this rule.
        flawed_example: a complete ``.pgv`` file with exactly one false step
            that cites this rule.
        rewrites: names of the kernel rewrites citing this rule switches on,
            its own (defined in its module) and those of the rules it rests on.
        kernel_options: kernel options citing it switches on
            (:data:`KERNEL_OPTIONS`).
        no_rewrite_because: for a rule with no rewrite, why the kernel has none.
        names_its_one_mistake: a refuted step citing this rule is blamed on its
            one primary misconception when no detector matches (the rule is a
            theorem whose one classic misuse is what such a step almost always is).
    """

    name: str
    aliases: tuple[str, ...]
    family: str
    statement: str
    conditions: tuple[Condition, ...]
    purpose: str
    valid_example: str
    flawed_example: str
    rewrites: tuple[str, ...] = ()
    kernel_options: frozenset[str] = field(default_factory=frozenset)
    no_rewrite_because: str = ""
    names_its_one_mistake: bool = False


@record(slots=False)
class Misconception:
    """A recognisable way of getting a step wrong, as an instructor names it.

    Attributes:
        name: stable kebab-case name.
        title: one line an instructor would say about the wrong step.
        hint: one sentence pointing to the fix without stating the corrected
            expression.
        rules: canonical names of the rules this is a misuse of.
        example: a complete small ``.pgv`` file with one flawed step.
        detectors: the generators that recognise it in a refuted step
            (``pgverify/rules/mistakes.py`` says what they yield).
        rank: where its detectors run in the whole catalogue, lowest first: a
            mistake explained by a narrow rewrite outranks a broad one.
    """

    name: str
    title: str
    hint: str
    rules: tuple[str, ...]
    example: str
    detectors: tuple[Callable[..., Any], ...] = ()
    rank: int = 0


def pgv(text: str) -> str:
    """Return ``.pgv`` source written indented inside Python code, dedented.

    The result has no leading blank line and ends with exactly one newline, so
    every example in the catalogue is a well-formed file.
    """
    return textwrap.dedent(text).strip() + "\n"


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
