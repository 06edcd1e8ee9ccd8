"""Random finite models: evaluate both sides of a step exactly and compare.

A model fixes small state/action/sample spaces, a horizon, a discount, a
value for each parameter, and random tables for every distribution and
function (θ-dependent ones vary smoothly in θ, with curvature).  Trajectory
sums and expectations are enumerated exactly; gradients come from jets.
Every random number comes from a hash of the seed and the thing it is for, so
a report is the same on every run and every machine.

Where to look:

* ``models``      model shapes and ranges, the values of a model, errors
* ``evaluate``    the evaluator (arithmetic and names), combining
  ``calls`` (definitions, functions, distributions) and
  ``enumeration`` (trajectories, sums, expectations)
* ``compiled``    each node compiled once per context into a closure (what
  ``evaluate`` runs; its tree walk is the reference), the tables kept per model
* ``reuse``       a definition unfolded once per model and draw, an estimate's
  terms reused across sample values: served only where their trace holds
* ``tolerances``  two numbers under a relation, with named tolerances
* ``estimators``  the exact expectation of a Monte-Carlo estimate (``≈``)
* ``search``      both sides on several models: ``compare`` → ``Outcome``
* ``jets``        truncated Taylor series, for exact derivatives
"""

from __future__ import annotations

from .tolerances import close
from .evaluate import Evaluator
from .models import Env, Model, NameProblem, TooLarge, Unsupported
from .search import Outcome, compare

__all__ = ["Env", "Evaluator", "Model", "NameProblem", "Outcome", "TooLarge", "Unsupported", "close", "compare"]
