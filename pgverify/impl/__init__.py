"""Checking a policy-gradient implementation against the math (``pgverify impl``).

A Python function computing a surrogate loss is read with ``ast`` and
interpreted over a documented subset of Python, NumPy and PyTorch on small
random finite MDPs; its file is never imported or executed.  The loss's
expected gradient is computed exactly and compared with the negative policy
gradient; a wrong one is diagnosed by applying each named mistake's fix.

Where to look:

* ``bindings``   the ``# pgverify:`` lines: what each argument is
* ``tensor``, ``indexing``, ``library``   arrays over jets, and the NumPy/PyTorch functions
* ``interpret``  the ast interpreter (the subset, and its error messages)
* ``worlds``     the random finite MDPs and the function's arguments on a batch
* ``check``      E[∇L] against -∇J, and the verdict
* ``search``     naming the mistake by applying fixes; ``catalogue`` the mistakes
* ``run``        one file end to end; ``render`` text and JSON; ``commands`` the CLI
"""

from __future__ import annotations

from typing import Any

__all__ = ["ImplResult", "check_path", "check_source"]


def __getattr__(name: str) -> Any:
    """The public names, loaded on first use: registering ``pgverify impl`` on the CLI must not load the
    interpreter for every other command."""
    if name in __all__:
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
