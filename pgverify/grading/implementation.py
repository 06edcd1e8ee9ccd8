"""Implementation assignments: an ``[implementation]`` table, and grading a ``.py`` submission against it.

::

    title = "REINFORCE with reward-to-go"

    [implementation]
    function = "policy_loss"             # the function each student writes
    bindings = [                         # what its arguments are (as the '# pgverify:' lines say)
        "log_probs[n, t] = log π_θ(a_t | s_t)",
        "rewards[n, t] = r(s_t, a_t)",
        "gamma = γ",
    ]
    gradient = "policy-gradient"         # its expected gradient must be -∇_θ J(θ) (the only choice so far)
    scaled = "accept"                    # a positive multiple of it: "accept" (default) or "reject"

    [rubric]                             # the same rubric: the function is one step, the goal is a right gradient
    valid_step = 1
    goal_reached = 4

The submission is only parsed (``ast``), never imported or run.  The
function counts as one step: ``checked`` when its expected gradient is right
(or, with ``scaled = "accept"``, a positive multiple), ``refuted`` when it is
biased or an ascent direction, ``unknown`` otherwise; the goal is reached when
the step is valid.  The step's diagnosis is the named mistake, at its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..impl import bindings as bd
from ..impl.catalogue import BY_NAME
from ..impl.run import check_source

GRADIENTS = ("policy-gradient",)


@dataclass(frozen=True)
class ImplementationSpec:
    """What the submitted function must be."""

    function: str
    bindings: tuple[str, ...]
    gradient: str = "policy-gradient"
    accept_scaled: bool = True


def parse_table(table: dict[str, Any], path: str) -> ImplementationSpec:
    """The ``[implementation]`` table (raises ValueError with a message naming the key)."""
    known = ("function", "bindings", "gradient", "scaled")
    for k in table:
        if k not in known:
            raise ValueError(f"{path}: [implementation] has an unknown key '{k}' (known: {', '.join(known)})")
    function = table.get("function")
    if not isinstance(function, str) or not function.isidentifier():
        raise ValueError(f"{path}: [implementation] function must be the name of a Python function")
    binds = table.get("bindings", [])
    if not isinstance(binds, list) or not all(isinstance(b, str) for b in binds):
        raise ValueError(f"{path}: [implementation] bindings must be a list of strings")
    for b in binds:
        try:
            if not bd.parse_declaration(b, bd.Bindings()):
                bd.parse_binding(b)
        except bd.BindingError as err:
            raise ValueError(f"{path}: [implementation] bindings: {err.message}") from None
    gradient = table.get("gradient", "policy-gradient")
    if gradient not in GRADIENTS:
        raise ValueError(f"{path}: [implementation] gradient must be one of {', '.join(GRADIENTS)}")
    scaled = table.get("scaled", "accept")
    if scaled not in ("accept", "reject"):
        raise ValueError(f"{path}: [implementation] scaled must be \"accept\" or \"reject\"")
    return ImplementationSpec(function, tuple(binds), gradient, scaled == "accept")


def grade_implementation(spec: ImplementationSpec, name: str, text: str, seed: int = 0) -> tuple[
        list[dict[str, Any]], bool, list[str], str | None]:
    """(steps, goal reached, messages, problem): ``problem`` is set when the submission cannot be graded."""
    [result] = check_source(text, name, [spec.function], list(spec.bindings), seed)
    if result.verdict == "error":
        where = f"line {result.line}, column {result.col}: " if result.line else ""
        return [], False, [], where + result.message
    valid = result.verdict == "unbiased" or (result.verdict == "scaled" and spec.accept_scaled)
    verdict = "checked" if valid else "refuted" if result.verdict in ("biased", "ascent", "scaled") else "unknown"
    lines = text.splitlines()
    line = result.mistake["line"] if result.mistake else result.line
    messages = [f"{spec.function}(): {result.verdict}"
                + (f" ({result.scale})" if result.scale else "") + f": {result.message}"]
    diagnosis = None
    if result.mistake is not None:
        entry = BY_NAME[result.mistake["name"]]
        diagnosis = {"name": entry.name, "title": entry.title, "hint": entry.hint}
        messages.append(f"line {line}: {'mistake' if entry.fault else 'note'}: {entry.title} [{entry.name}]")
    if result.counterexample is not None:
        c = result.counterexample
        model = ", ".join(f"{k} = {v}" for k, v in c["model"].items())
        messages.append(f"on a small model ({model}) the expected gradient of the loss is"
                        f" {tuple(c['got'])} where -∇_θ J is {tuple(c['expected'])}")
    step = {"line": line, "column": result.col, "relation": "=", "verdict": verdict,
            "justification": None, "rules": [], "cited": False, "message": result.message,
            "lhs": f"E[∇_θ {spec.function}(…)]", "rhs": "-∇_θ J(θ)", "models": None, "difference": None,
            "counterexample": None, "suggestions": [], "diagnosis": diagnosis, "conditions": [],
            "text": lines[line - 1].strip() if 0 < line <= len(lines) else spec.function,
            "derivation": f"{spec.function}()"}
    return [step], valid, messages, None
