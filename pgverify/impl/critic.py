"""Does the critic learn from the policy loss?  The mixed derivative ∂²L/∂θ∂φ of a loss, per batch.

A learned value V_φ (or Q_φ) with parameters of its own may appear in the
loss twice: as a baseline in the policy term, where its gradient must be
stopped, and in its own regression loss, where it must not.  In a right loss
no term depends on both θ and φ, so ∂²L/∂θ∂φ = 0 on every batch; a baseline
whose gradient is not stopped makes it nonzero (the critic's parameters then
follow the policy loss).  The fix — stopping the gradient at one use of the
critic's values — names the line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..falsify import jets
from ..falsify.models import unit
from ..falsify.tolerances import clearly_differ
from .check import Checker
from .interpret import ImplError
from .tensor import Tensor
from .worlds import Inputs, World, is_critic

WORLDS = 2
BATCHES = 3


@dataclass
class Leak:
    world: World
    mixed: float
    line: int
    col: int
    name: str      # the critic's argument


def _mixed(checker: Checker, fdef: ast.FunctionDef, world: World) -> list[float]:
    """∂²L/∂θ1∂φ on a few batches of ``world`` (the critic's own parameter φ)."""
    gamma = world.gamma if checker.discounted else 1.0
    inputs = Inputs(world, checker.bindings, 0, gamma, critic=True)
    trajs = world.trajectories()
    n = world.N if checker.batched else 1
    out = []
    for b in range(BATCHES):
        batch = [trajs[int(unit(world.seed, world.index, "critic", b, i) * len(trajs))] for i in range(n)]
        v = checker.interp.run(fdef, [], inputs.arguments(batch))
        v = v.data[0] if isinstance(v, Tensor) else v
        out.append(jets.value(jets.derivative(jets.derivative(v, 0), 1)))
    return out


def _detach_at(fdef: ast.FunctionDef, target: ast.Name) -> ast.FunctionDef:
    from .search import _variant
    return _variant(fdef, target, lambda n: ast.Call(func=ast.Attribute(value=n, attr="detach", ctx=ast.Load()),
                                                     args=[], keywords=[]))


def critic_leak(checker: Checker) -> Leak | None:
    """Where the critic's parameters receive the policy loss (None when they do not)."""
    critics = [b for b in checker.bindings.args.values() if is_critic(b, checker.bindings)]
    if not critics:
        return None
    fdef = checker.fdef
    try:
        for world in checker.worlds()[:WORLDS]:
            mixed = _mixed(checker, fdef, world)
            worst = max(mixed, key=abs)
            if not clearly_differ(worst, 0.0):
                continue
            for critic in critics:
                uses = [n for n in ast.walk(fdef) if isinstance(n, ast.Name) and n.id == critic.name
                        and isinstance(n.ctx, ast.Load)]
                for use in uses:
                    fixed = _detach_at(fdef, use)
                    if all(not clearly_differ(x, 0.0) for x in _mixed(checker, fixed, world)):
                        return Leak(world, worst, use.lineno, use.col_offset + 1, critic.name)
            first = next((n for n in ast.walk(fdef) if isinstance(n, ast.Name) and n.id == critics[0].name), fdef)
            return Leak(world, worst, first.lineno, first.col_offset + 1, critics[0].name)
    except (ImplError, ArithmeticError, RecursionError):
        return None
    return None
