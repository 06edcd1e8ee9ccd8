"""Meta-tests of the rule and misconception catalogues (pgverify.rules).

These check the catalogue as data: every rule is documented and has examples,
names are stable kebab-case and unique, the aliases the language promises
resolve, and justification text is split and matched as documented. Whether
the examples *check* (valid ones valid, flawed ones refuted) is tested once
the checker exists, not here.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from pgverify.rules import (
    FAMILIES,
    MISCONCEPTIONS,
    REWRITES,
    RULES,
    CatalogueError,
    Misconception,
    Rewrite,
    Rule,
    _build_index,
    _index_rewrites,
    lookup,
    misconception,
    misconceptions_for,
    normalize_rule_text,
    rewrite_named,
    rule,
    split_justification,
    suggest,
)
from pgverify.rules.base import KERNEL_OPTIONS, NODE_TYPES, Condition

KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
RULE_IDS = [entry.name for entry in RULES]
MISCONCEPTION_IDS = [entry.name for entry in MISCONCEPTIONS]

# Every alias that LANGUAGE.md ("Rule names the language must know") promises,
# plus the ones this task names, with the canonical rule each must resolve to.
LANGUAGE_ALIASES = {
    "definition": "definition",
    "def": "definition",
    "by definition": "definition",
    "expand": "definition",
    "substitute": "definition",
    "algebra": "algebra",
    "arithmetic": "algebra",
    "simplify": "algebra",
    "rearrange": "algebra",
    "distributivity": "algebra",
    "linearity": "linearity",
    "linearity of the gradient": "linearity",
    "linearity of the sum": "linearity",
    "linearity of the expectation": "linearity",
    "linearity of the integral": "linearity",
    "linearity of the gradient/sum/expectation/integral": "linearity",
    "log-product": "log-product",
    "log of a product": "log-product",
    "log-of-product": "log-product",
    "log rules": "log-product",
    "sum of logs": "log-product",
    "log-derivative": "log-derivative",
    "likelihood-ratio trick": "log-derivative",
    "log-derivative trick": "log-derivative",
    "score function": "log-derivative",
    "REINFORCE trick": "log-derivative",
    "theta-independence": "theta-independence",
    "dynamics-independence": "theta-independence",
    "θ-independence": "theta-independence",
    "environment does not depend on θ": "theta-independence",
    "gradient of dynamics is zero": "theta-independence",
    "exchange": "exchange",
    "bring the gradient inside the sum": "exchange",
    "bring the gradient inside the integral": "exchange",
    "bring the gradient inside the expectation": "exchange",
    "bring the gradient inside the sum/integral/expectation": "exchange",
    "Leibniz rule": "exchange",
    "expectation": "expectation",
    "definition of expectation": "expectation",
    "expand the expectation": "expectation",
    "return to expectation form": "expectation",
    "chain-rule": "chain-rule",
    "product-rule": "product-rule",
    "monte-carlo": "monte-carlo",
    "sample mean": "monte-carlo",
    "empirical estimate": "monte-carlo",
    "unbiased estimate": "monte-carlo",
    "normalization": "normalization",
    "probabilities sum to one": "normalization",
    "gradient of a constant": "normalization",
    "eglp": "eglp",
    "expected grad-log-prob": "eglp",
    "score has zero mean": "eglp",
    "baseline": "baseline",
    "subtract a baseline": "baseline",
    "reward-to-go": "reward-to-go",
    "causality": "reward-to-go",
    "importance-sampling": "importance-sampling",
    "advantage": "advantage",
    "tower": "tower",
    "law of total expectation": "tower",
    "discount": "discount",
    "factoring γ^t": "discount",
    "softmax-score": "softmax-score",
    "kl": "kl",
    "KL divergence": "kl",
    "log-exp": "log-exp",
    "log of a reciprocal": "log-exp",
    "log of a power": "log-exp",
    "exp and log are inverse": "log-exp",
}

# Side conditions the task requires, as a word each condition must mention.
REQUIRED_CONDITIONS = {
    "log-product": "positive",
    "log-derivative": "support",
    "exchange": "finite",
    "importance-sampling": "q > 0",
    "baseline": "action",
    "theta-independence": "θ",
    "eglp": "support",
    "monte-carlo": "i.i.d.",
    "normalization": "normalized",
}

JUSTIFICATION_RE = re.compile(r"\s(?:by)\s+(?P<text>[^#]+?)\s*(?:#.*)?$")


def cited_rules(example: str) -> list[str | None]:
    """Return the canonical rule (or None) of every citation in an example file."""
    names: list[str | None] = []
    for line in example.splitlines():
        match = JUSTIFICATION_RE.search(line)
        if match:
            for piece in split_justification(match["text"]):
                found = lookup(piece)
                names.append(found.name if found else None)
    return names


def step_lines(example: str) -> list[str]:
    """Return the lines of an example that are steps (claims or chain relations)."""
    return [
        line
        for line in example.splitlines()
        if line.startswith("claim ") or re.match(r"\s+(=|≈|~=)", line)
    ]


# ---------------------------------------------------------------------------
# Rules as documentation
# ---------------------------------------------------------------------------


def test_every_rule_the_language_promises_exists() -> None:
    missing = sorted({name for name in LANGUAGE_ALIASES.values() if name not in RULE_IDS})
    assert not missing


# ---------------------------------------------------------------------------
# Rules and the kernel: every rule's rewrites live with it
# ---------------------------------------------------------------------------

REWRITE_IDS = [entry.name for entry in REWRITES]


@pytest.mark.parametrize("entry", RULES, ids=RULE_IDS)
def test_every_rule_has_a_rewrite_or_says_why_not(entry: Rule) -> None:
    if entry.rewrites or entry.kernel_options:
        assert not entry.no_rewrite_because, "a rule with rewrites needs no excuse"
        assert all(rewrite_named(name) for name in entry.rewrites)
        assert set(entry.kernel_options) <= KERNEL_OPTIONS
    else:
        assert len(entry.no_rewrite_because.split()) >= 8, "say why the kernel has no rewrite for it"


@pytest.mark.parametrize("entry", REWRITES, ids=REWRITE_IDS)
def test_every_rewrite_states_itself_and_lives_with_its_rule(entry: Rewrite) -> None:
    assert "->" in entry.statement, "the first docstring line states the rewrite"
    assert entry.node in NODE_TYPES
    owner = rule(entry.credits[0])
    family = next(module for module in FAMILIES if owner in module.RULES)
    assert entry.apply.__module__ == family.__name__, "a rewrite is defined in its rule's family module"
    assert any(entry.name in r.rewrites for r in RULES), "a rewrite no rule switches on is dead code"


def test_rewrite_names_are_unique_and_priorities_order_each_node() -> None:
    assert len(REWRITE_IDS) == len(set(REWRITE_IDS))
    for node in NODE_TYPES:
        priorities = [r.priority for r in REWRITES if r.node == node]
        assert len(priorities) == len(set(priorities)), f"two {node} rewrites share a priority"


def test_the_kernel_knows_exactly_the_rules_with_rewrites() -> None:
    from pgverify.kernel import rule_names

    assert set(rule_names()) == {r.name for r in RULES if r.rewrites or r.kernel_options}


def test_a_rule_listing_an_unknown_rewrite_is_a_programming_error() -> None:
    bad = replace(rule("log-product"), rewrites=("no_such_rewrite",))
    with pytest.raises(CatalogueError):
        _index_rewrites(REWRITES, [bad])
    silent = replace(rule("log-product"), rewrites=(), no_rewrite_because="")
    with pytest.raises(CatalogueError):
        _index_rewrites(REWRITES, [silent])


def test_rule_names_are_unique_kebab_case() -> None:
    assert len(RULE_IDS) == len(set(RULE_IDS))
    for name in RULE_IDS:
        assert KEBAB.fullmatch(name), name


@pytest.mark.parametrize("entry", RULES, ids=RULE_IDS)
def test_rule_is_documented(entry: Rule) -> None:
    assert isinstance(entry.aliases, tuple)
    assert all(isinstance(alias, str) and alias.strip() for alias in entry.aliases)
    assert KEBAB.fullmatch(entry.family)
    assert "->" in entry.statement
    assert isinstance(entry.conditions, tuple)
    assert all(isinstance(c, str) and c.strip() for c in entry.conditions)
    assert all(isinstance(c, Condition) and callable(c.check) for c in entry.conditions)
    assert entry.purpose.strip()
    assert entry.purpose.rstrip()[-1] in ".?!"


@pytest.mark.parametrize("entry", RULES, ids=RULE_IDS)
def test_rule_examples_are_small_files_citing_the_rule(entry: Rule) -> None:
    for example in (entry.valid_example, entry.flawed_example):
        assert example.startswith("use rl\n")
        assert example.endswith("\n") and not example.endswith("\n\n")
        assert 1 <= len(step_lines(example)) <= 3, example
        cited = cited_rules(example)
        assert entry.name in cited, example
        assert None not in cited, example
    assert entry.valid_example != entry.flawed_example


def test_flawed_examples_have_exactly_one_step() -> None:
    for entry in RULES:
        assert len(step_lines(entry.flawed_example)) == 1, entry.name


@pytest.mark.parametrize(("name", "word"), sorted(REQUIRED_CONDITIONS.items()))
def test_side_conditions_are_recorded(name: str, word: str) -> None:
    assert any(word in condition for condition in rule(name).conditions)


def test_conditions_are_decided_by_predicates_that_name_catalogued_mistakes() -> None:
    for entry in RULES:
        for condition in entry.conditions:
            named = getattr(condition.check, "mistakes", frozenset())
            assert named <= set(MISCONCEPTION_IDS), (entry.name, named)
            assert condition.check.__doc__, "a predicate says what it checks"


def test_a_condition_predicate_decides_from_the_step_not_the_words() -> None:
    from pgverify.rules.base import HOLDS, VIOLATED, StepFacts

    (condition,) = rule("baseline").conditions
    renamed = Condition("some other wording", condition.check)
    diagnosed = StepFacts((), None, "refuted", {"name": "action-dependent-baseline", "title": "t"})
    valid = StepFacts((), None, "proved", None)
    assert renamed.check(diagnosed) == condition.check(diagnosed) == (VIOLATED, "t")
    assert renamed.check(valid)[0] == HOLDS


def test_every_rule_resolves_from_its_own_spellings() -> None:
    for entry in RULES:
        for spelling in (entry.name, *entry.aliases):
            assert lookup(spelling) is entry, spelling


# ---------------------------------------------------------------------------
# Lookup and normalization
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "name"), sorted(LANGUAGE_ALIASES.items()))
def test_language_aliases_resolve(text: str, name: str) -> None:
    found = lookup(text)
    assert found is not None, text
    assert found.name == name


@pytest.mark.parametrize(
    "text",
    [
        "log-derivative",
        "Log-Derivative",
        "log derivative",
        "LOG_DERIVATIVE",
        "log.derivative",
        "  by log-derivative  ",
        "By the Log-Derivative",
        '"log-derivative"',
        "logderivative",
    ],
)
def test_matching_ignores_case_and_punctuation(text: str) -> None:
    found = lookup(text)
    assert found is not None and found.name == "log-derivative"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("theta-independence", "theta-independence"),
        ("THETA INDEPENDENCE", "theta-independence"),
        ("Θ-independence", "theta-independence"),
        ("environment does not depend on theta", "theta-independence"),
        ("the environment does not depend on θ", "theta-independence"),
        ("Likelihood Ratio Trick", "log-derivative"),
        ("linearity of expectation", "linearity"),
        ("Monte Carlo", "monte-carlo"),
        ("by the definition of the expectation", "expectation"),
        ("factor out gamma^t", "discount"),
    ],
)
def test_matching_spelling_variants(text: str, name: str) -> None:
    found = lookup(text)
    assert found is not None and found.name == name


def test_normalize_rule_text_examples() -> None:
    assert normalize_rule_text("By the Log-Derivative trick") == "log derivative trick"
    assert normalize_rule_text("θ-independence") == "theta independence"
    assert normalize_rule_text("LOG_PRODUCT") == "log product"
    assert normalize_rule_text("∇ log softmax") == "grad log softmax"
    assert normalize_rule_text("Σ") == "sum"
    assert normalize_rule_text("") == ""
    assert normalize_rule_text("by") == "by"


@pytest.mark.parametrize("text", ["", "   ", "no such rule", "log-prodcut", "by"])
def test_unknown_text_does_not_resolve(text: str) -> None:
    assert lookup(text) is None


def test_rule_by_canonical_name_only() -> None:
    assert rule("log-product").name == "log-product"
    with pytest.raises(KeyError):
        rule("log of a product")
    with pytest.raises(KeyError):
        rule("no-such-rule")


def test_alias_collision_is_a_programming_error() -> None:
    base = rule("log-product")
    clash = Rule(
        name="other-rule",
        aliases=("Log of a Product!",),
        family="logs",
        statement="x -> x",
        conditions=(),
        purpose="Test.",
        valid_example="use rl\n",
        flawed_example="use rl\n",
    )
    with pytest.raises(CatalogueError):
        _build_index([base, clash])
    with pytest.raises(CatalogueError):
        _build_index([base, base])
    with pytest.raises(CatalogueError):
        _build_index([replace(clash, name="Not_Kebab", aliases=())])


# ---------------------------------------------------------------------------
# Justifications
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("definition", ["definition"]),
        ("definition, log-product", ["definition", "log-product"]),
        (
            "definition,log-product;linearity",
            ["definition", "log-product", "linearity"],
        ),
        ("log of a product and linearity", ["log of a product", "linearity"]),
        ("log-product & linearity", ["log-product", "linearity"]),
        ("log-product + linearity", ["log-product", "linearity"]),
        ("expand, then simplify", ["expand", "simplify"]),
        (
            "linearity of the gradient/sum/expectation/integral",
            ["linearity of the gradient/sum/expectation/integral"],
        ),
        (
            "linearity of the gradient and the expectation",
            ["linearity of the gradient and the expectation"],
        ),
        ("exp and log are inverse", ["exp and log are inverse"]),
        (
            "exp and log are inverse and linearity",
            ["exp and log are inverse", "linearity"],
        ),
        ('"log of a product and linearity"', ["log of a product", "linearity"]),
        ("definition, , log-product", ["definition", "log-product"]),
        ("frobnicate and linearity", ["frobnicate", "linearity"]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_justification(text: str, pieces: list[str]) -> None:
    assert split_justification(text) == pieces


def test_split_pieces_resolve() -> None:
    names = [
        lookup(p)
        for p in split_justification("by definition, sum of logs and causality")
    ]
    assert [r.name if r else None for r in names] == [
        "definition",
        "log-product",
        "reward-to-go",
    ]


def test_split_does_not_break_words_containing_and() -> None:
    assert split_justification("expand") == ["expand"]
    assert split_justification("expand the expectation") == ["expand the expectation"]


# ---------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------


def test_suggest_typo() -> None:
    assert suggest("log-prodcut")[0] == "log-product"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("baselin", "baseline"),
        ("reward to come", "reward-to-go"),
        ("montecarlo", "monte-carlo"),
        ("likelyhood ratio", "log-derivative"),
        ("theta independance", "theta-independence"),
        ("importance samplng", "importance-sampling"),
    ],
)
def test_suggest_finds_nearest(text: str, name: str) -> None:
    assert suggest(text)[0] == name


def test_suggest_is_deduplicated_canonical_and_bounded() -> None:
    for n in (1, 2, 3, 5):
        names = suggest("linearity of the gradent", n=n)
        assert len(names) <= n
        assert len(names) == len(set(names))
        assert all(name in RULE_IDS for name in names)
    assert suggest("linearity of the gradent")[0] == "linearity"
    assert suggest("qwxz zzq") == []
    assert suggest("") == []


# ---------------------------------------------------------------------------
# Misconceptions
# ---------------------------------------------------------------------------


def test_misconception_count() -> None:
    assert len(MISCONCEPTIONS) >= 15


def _detected_names() -> set[str]:
    from pgverify.diagnose import detectors

    return {name for name, _ in detectors()}


@pytest.mark.parametrize("entry", MISCONCEPTIONS, ids=MISCONCEPTION_IDS)
def test_every_misconception_has_a_detector_and_a_flawed_file(entry: Misconception) -> None:
    from .test_diagnosis import FLAWED, SHOWN_BY

    assert entry.name in _detected_names(), "a misconception the diagnosis cannot name is dead text"
    shown = {SHOWN_BY.get(path.stem, path.stem) for path in FLAWED}
    # tests/test_diagnosis.py checks that each of these files' refuted steps are diagnosed by that name
    assert entry.name in shown, f"add proofs/flawed/{entry.name}.pgv with a step this mistake refutes"


def test_every_detector_names_a_catalogued_misconception() -> None:
    assert _detected_names() <= set(MISCONCEPTION_IDS)


def test_misconceptions_live_with_the_rule_they_misuse_first_and_rank_uniquely() -> None:
    ranks = [entry.rank for entry in MISCONCEPTIONS]
    assert len(ranks) == len(set(ranks))
    for entry in MISCONCEPTIONS:
        family = next(module for module in FAMILIES if rule(entry.rules[0]) in module.RULES)
        assert entry in family.MISCONCEPTIONS, entry.name
        assert all(d.__module__ == family.__name__ for d in entry.detectors), entry.name


def test_a_rule_that_names_its_one_mistake_has_exactly_one() -> None:
    for entry in RULES:
        if entry.names_its_one_mistake:
            primary = [x for x in misconceptions_for(entry.name) if x.rules[0] == entry.name]
            assert len(primary) == 1, entry.name


def test_misconception_names_are_unique_kebab_case() -> None:
    assert len(MISCONCEPTION_IDS) == len(set(MISCONCEPTION_IDS))
    for name in MISCONCEPTION_IDS:
        assert KEBAB.fullmatch(name), name


@pytest.mark.parametrize("entry", MISCONCEPTIONS, ids=MISCONCEPTION_IDS)
def test_misconception_is_documented(entry: Misconception) -> None:
    assert entry.title.strip() and "\n" not in entry.title
    assert entry.rules and all(name in RULE_IDS for name in entry.rules)
    assert misconception(entry.name) is entry
    for name in entry.rules:
        assert entry in misconceptions_for(name)


@pytest.mark.parametrize("entry", MISCONCEPTIONS, ids=MISCONCEPTION_IDS)
def test_misconception_hint_points_without_formula(entry: Misconception) -> None:
    hint = entry.hint
    assert hint.strip() == hint and "\n" not in hint
    assert len(hint) <= 200
    assert hint[-1] in ".?!"
    # No formula in the hint: no relation or rewrite arrow.
    assert "=" not in hint and "->" not in hint and "≈" not in hint


@pytest.mark.parametrize("entry", MISCONCEPTIONS, ids=MISCONCEPTION_IDS)
def test_misconception_example_is_one_flawed_step(entry: Misconception) -> None:
    example = entry.example
    assert example.startswith("use rl\n") and example.endswith("\n")
    assert len(step_lines(example)) == 1, example
    cited = cited_rules(example)
    assert cited and None not in cited
    assert set(cited) & set(entry.rules), (cited, entry.rules)


def test_misconception_lookup_by_name_only() -> None:
    with pytest.raises(KeyError):
        misconception("no-such-misconception")


# --------------------------------------------------------------------------- the catalogue on the command line


def _cli(*args: str):
    from typer.testing import CliRunner

    from pgverify.cli import app

    return CliRunner().invoke(app, list(args))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_report_names_only_mistakes_that_explain_knows() -> None:
    from pgverify.diagnose import detectors

    assert {name for name, _ in detectors()} <= {m.name for m in MISCONCEPTIONS}


@pytest.mark.parametrize("entry", MISCONCEPTIONS, ids=MISCONCEPTION_IDS)
def test_explain_shows_every_named_mistake(entry: Misconception) -> None:
    result = _cli("explain", entry.name)
    assert result.exit_code == 0, result.output
    out = _flat(result.stdout)
    assert out.startswith(f"{entry.name} (a named mistake)")
    for part in (entry.title, entry.hint, ", ".join(entry.rules)):
        assert _flat(part) in out, part
    for line in entry.example.rstrip().splitlines():
        assert f"  {line}" in result.stdout.splitlines(), line   # code is shown as written, not re-wrapped
    assert not [line for line in result.stdout.splitlines() if line.endswith(" ")]


@pytest.mark.parametrize("entry", RULES, ids=RULE_IDS)
def test_explain_shows_every_rule(entry: Rule) -> None:
    result = _cli("explain", entry.name)
    assert result.exit_code == 0, result.output
    out = _flat(result.stdout)
    assert out.startswith(f"{entry.name} (a rule of the {entry.family} family)")
    for part in (entry.statement, entry.purpose, *entry.conditions, *(m.name for m in misconceptions_for(entry.name))):
        assert _flat(part) in out, part
    lines = result.stdout.splitlines()
    for line in (entry.valid_example + entry.flawed_example).splitlines():
        assert f"  {line}" in lines, line
    assert not [line for line in lines if line.endswith(" ")]


def test_explain_finds_a_rule_by_alias_and_a_mistake_in_another_spelling() -> None:
    assert _flat(_cli("explain", "likelihood ratio trick").stdout).startswith("log-derivative ")
    result = _cli("explain", "Lost_Discount")
    assert result.exit_code == 0 and result.stdout.startswith("lost-discount ")


@pytest.mark.parametrize(("typo", "near"), [
    ("log-prodcut", "log-product"),                 # a rule
    ("lost-discont", "lost-discount"),             # a mistake
    ("importance-weight-inversed", "importance-weight-inverted"),
])
def test_explain_suggests_the_nearest_rule_or_mistake(typo: str, near: str) -> None:
    result = _cli("explain", typo)
    assert result.exit_code == 2
    assert "no rule or named mistake called" in result.stderr and near in result.stderr
    assert "Traceback" not in result.output


def test_explain_suggests_both_kinds_when_both_are_near() -> None:
    result = _cli("explain", "discont")
    assert result.exit_code == 2
    near = re.search(r"Did you mean (.*)\?", result.stderr).group(1).split(", ")
    assert {"discount", "lost-discount"} <= set(near)


def test_rules_prints_the_catalogue_literally_without_trailing_spaces(monkeypatch) -> None:
    import pgverify.cli

    result = _cli("rules")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.endswith(" ")]
    bracketed = [r for r in RULES if "[f(x)]" in r.statement]
    assert len(bracketed) >= 3
    assert result.stdout.count("[f(x)]") >= sum(r.statement.count("[f(x)]") for r in bracketed)
    # wide enough that nothing wraps: each rule's row holds its statement exactly as the catalogue has it
    monkeypatch.setattr(pgverify.cli, "_width", lambda: 1000)
    wide = _cli("rules").stdout.splitlines()
    assert not [line for line in wide if line.endswith(" ")]
    for entry in RULES:
        (row,) = [line for line in wide if line.split()[:1] == [entry.name]]
        assert entry.statement in row, entry.name
    for entry in MISCONCEPTIONS:
        (row,) = [line for line in wide if line.split()[:1] == [entry.name]]
        assert entry.title in row, entry.name
