"""Checking the functions of one ``.py`` file: parse it (never import it), read bindings, judge, name the bug.

``check_source`` is the whole pipeline for text already read; ``check_path``
reads the file first.  Each function gets one ``ImplResult``; a problem with
the input (a syntax error, a construct outside the subset, a binding pgverify
cannot read) is an ``error`` result with its line and column.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..falsify import jets
from ..falsify.tolerances import close
from . import bindings as bd
from .catalogue import BY_NAME
from .check import Checker, Judgement, judge
from .critic import critic_leak
from .interpret import ImplError, Interpreter, Undefined
from .search import name_mistake
from .tensor import Tensor

# bytes of a .py file pgverify reads at most
MAX_SOURCE = 1_000_000
VERDICTS = ("unbiased", "scaled", "biased", "ascent", "unknown", "error")


@dataclass
class ImplResult:
    """The verdict on one function (``error``: the input could not be checked)."""

    path: str
    function: str
    line: int
    verdict: str
    scale: str | None = None
    mistake: dict[str, Any] | None = None
    counterexample: dict[str, Any] | None = None
    message: str = ""
    col: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def fine(self) -> bool:
        return self.verdict in ("unbiased", "scaled")

    def as_json(self) -> dict[str, Any]:
        """The record ``--format json`` lists under ``implementations``."""
        return {"path": self.path, "function": self.function, "line": self.line, "verdict": self.verdict,
                "scale": self.scale, "mistake": self.mistake, "counterexample": self.counterexample,
                "message": self.message}


def _functions(tree: ast.Module, source: str) -> list[ast.FunctionDef]:
    """The top-level functions with ``# pgverify:`` lines above them."""
    lines = source.splitlines()
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            k = first - 2
            while k >= 0 and lines[k].strip().startswith("#"):
                if bd.PREFIX.match(lines[k]):
                    out.append(node)
                    break
                k -= 1
    return out


def check_path(path: Path, functions: list[str] | None = None, binds: list[str] = (), seed: int = 0,
               shown: str | None = None) -> list[ImplResult]:
    """Check the functions of the file at ``path`` (all with bindings when ``functions`` is empty)."""
    shown = shown or str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        return [ImplResult(shown, ",".join(functions or []) or "?", 0, "error",
                           message=f"cannot read the file: {err.strerror or err}")]
    if len(raw) > MAX_SOURCE:
        return [ImplResult(shown, "?", 0, "error", message=f"the file is larger than {MAX_SOURCE} bytes")]
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [ImplResult(shown, "?", 0, "error", message="the file is not UTF-8 text")]
    return check_source(source, shown, functions, binds, seed)


def check_source(source: str, shown: str, functions: list[str] | None = None, binds: list[str] = (),
                 seed: int = 0) -> list[ImplResult]:
    """Check functions of a file's text; ``shown`` names it in the results."""
    try:
        tree = ast.parse(source, filename=shown)  # parsing only: nothing in the file runs
    except SyntaxError as err:
        return [ImplResult(shown, "?", err.lineno or 0, "error", col=err.offset or 1,
                           message=f"not valid Python: {err.msg}")]
    except (ValueError, RecursionError, MemoryError):
        return [ImplResult(shown, "?", 0, "error", message="not valid Python (or nested too deeply)")]
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    if functions:
        targets = []
        for name in functions:
            if name not in defs:
                known = ", ".join(sorted(defs)) or "none"
                return [ImplResult(shown, name, 0, "error",
                                   message=f"no top-level function '{name}' in the file (functions: {known})")]
            targets.append(defs[name])
    else:
        targets = _functions(tree, source)
        if not targets:
            return [ImplResult(shown, "?", 0, "error", message="no function has '# pgverify:' binding lines above"
                               " it: name one as FILE.py::FUNCTION and bind its arguments with --bind")]
    interp = Interpreter(tree)
    return [check_function(interp, source, fdef, shown, binds, seed) for fdef in targets]


def check_function(interp: Interpreter, source: str, fdef: ast.FunctionDef, shown: str, binds: list[str] = (),
                   seed: int = 0) -> ImplResult:
    """The verdict on one function."""
    base = ImplResult(shown, fdef.name, fdef.lineno, "error")
    try:
        bindings = bd.read(source, fdef, list(binds))
    except bd.BindingError as err:
        base.line, base.col, base.message = err.line or fdef.lineno, err.col, err.message
        return base
    checker = Checker(interp, fdef, bindings, seed)
    try:
        results, skipped = checker.evaluate()
        judgement = judge(results, skipped)
    except Undefined as err:
        base.verdict = "unknown"
        base.message = f"line {err.line}: {err.message} on a random model, so the gradient cannot be computed"
        return base
    except ImplError as err:
        base.line, base.col, base.message = err.line, err.col, err.message
        return base
    except RecursionError:
        base.message = "the function nests too deeply to interpret"
        return base
    return _report(checker, judgement, base)


def _report(checker: Checker, j: Judgement, out: ImplResult) -> ImplResult:
    out.verdict, out.scale = j.verdict, j.scale
    target = "-∇_θ J(θ)" + ("" if checker.discounted else " (undiscounted: no argument is bound to γ)")
    if j.verdict == "unbiased":
        out.message = f"E[∇_θ L] equals {target} on every random model"
    elif j.verdict == "scaled":
        out.message = f"E[∇_θ L] is {j.scale} × {target}: the direction is right, the step size is scaled"
    elif j.verdict == "ascent":
        scale = f"{j.scale.lstrip('-')} × " if j.scale and j.scale != "-1" else ""
        out.message = f"E[∇_θ L] is {scale}+∇_θ J(θ), the opposite direction: minimising this loss lowers the return"
    elif j.verdict == "biased":
        out.message = f"E[∇_θ L] differs from {target}"
    else:
        out.message = j.reason
    if j.witness is not None and j.verdict != "scaled":
        w = j.witness
        out.counterexample = {"model": w.world.describe(), "expected": [round(x, 6) for x in w.expected],
                              "got": [round(x, 6) for x in w.got], "gradient of": ["θ1", "θ2"]}
    named = None
    leak = critic_leak(checker) if j.fine else None
    if leak is not None:   # θ's gradient is right, but the critic's parameters follow the policy loss
        out.verdict, out.scale = "biased", None
        out.message = (f"{out.message}, but the critic's parameters φ receive the policy loss through"
                       f" '{leak.name}': ∂²L/∂θ1∂φ = {leak.mixed:.6g} on a batch, where a right loss has no term"
                       " in both θ and φ")
        w = next((r for r in j.worlds if r.world.index == leak.world.index), j.worlds[0])
        out.counterexample = {"model": {**leak.world.describe(), "φ": leak.world.phi},
                              "expected": [round(x, 6) for x in w.expected], "got": [round(x, 6) for x in w.got],
                              "gradient of": ["θ1", "θ2"], "∂²L/∂θ1∂φ": round(leak.mixed, 6)}
        from .search import Named
        named = Named("baseline-gradient-not-stopped", leak.line, leak.col)
    try:
        if named is None:
            named = name_mistake(checker, j)
    except (ImplError, RecursionError, ArithmeticError):
        named = None
    if named is None and j.verdict == "unbiased" and checker.bindings.reward_to_go:
        line = _weighs_past_rewards(checker)
        if line is not None:
            from .search import Named
            named = Named("full-return", line, 1)
    if named is not None:
        entry = BY_NAME[named.name]
        out.mistake = {"name": entry.name, "line": named.line, "hint": entry.hint}
        out.col = named.col
    return out


def _flat(b: bd.Binding, sizes: dict[str, int], pos: dict[str, int]) -> int:
    k = 0
    for a in b.axes:
        k = k * sizes[a] + pos.get(a, 0)
    return k


def _weighs_past_rewards(checker: Checker) -> int | None:
    """The function's line when a step's log-probability is weighed by an earlier reward (None otherwise)."""
    from .worlds import Inputs
    b = checker.bindings
    logp = next((x for x in b.args.values() if x.kind == "logp" and "a" not in x.axes), None)
    reward = next((x for x in b.args.values() if x.kind == "reward"), None)
    if logp is None or reward is None:
        return None
    world = next(w for w in checker.worlds() if w.T >= 3)
    inputs = Inputs(world, b, None, world.gamma if checker.discounted else 1.0)
    trajs = world.trajectories()
    n = world.N if checker.batched else 1
    batch = [trajs[len(trajs) // 2]] * n
    sizes = {"n": n, "t": world.T, "a": world.A}
    for t, earlier in itertools.product(range(1, world.T), range(world.T)):
        if earlier >= t:
            continue
        slopes = []
        for bump in (0.0, 1.0):
            args = inputs.arguments(batch)
            lp, rw = args[logp.name], args[reward.name]
            lp.data[_flat(logp, sizes, {"t": t})] = jets.make(0, jets.value(lp.data[_flat(logp, sizes, {"t": t})]), 1)
            k = _flat(reward, sizes, {"t": earlier})
            rw.data[k] = jets.add(rw.data[k], bump)
            v = checker.interp.run(checker.fdef, [], args)
            v = v.data[0] if isinstance(v, Tensor) else v
            slopes.append(jets.value(jets.derivative(v, 0)))
        if not close(slopes[0], slopes[1]):
            from .search import _first_use
            return getattr(_first_use(checker.fdef, reward.name), "lineno", checker.fdef.lineno)
    return None
