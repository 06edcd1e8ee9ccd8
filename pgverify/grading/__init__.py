"""Grading: score a class's derivations against an assignment, with feedback that names the first mistake.

Public API::

    from pgverify.grading import load_assignment, collect, grade_class, GradeOptions
    assignment = load_assignment("assignment.toml")        # raises AssignmentError
    grades = grade_class(assignment, collect(Path("submissions")), GradeOptions(jobs=2))
    grades.records                                         # one dict per student, sorted by student

Modules: ``assignment`` (the TOML file), ``submissions`` (a folder or a zip),
``grade`` (one submission → a record; a class in limited workers), ``score``
(the rubric), ``order`` (ordering exercises), ``feedback`` (Markdown per
student), ``formats`` (json, csv, text), ``cache``, ``commands`` (the CLI).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assignment import Assignment, AssignmentError
    from .assignment import load as load_assignment
    from .grade import ClassGrades, GradeOptions, grade_class, grade_submission
    from .submissions import Submission, SubmissionsError, collect

# Each public name is loaded on first use (PEP 562): the CLI imports ``grading.commands`` on every start,
# which runs this file, and only `grade` and `order` need the grading modules themselves.
_WHERE = {"Assignment": "assignment", "AssignmentError": "assignment", "load_assignment": "assignment:load",
          "ClassGrades": "grade", "GradeOptions": "grade", "grade_class": "grade", "grade_submission": "grade",
          "Submission": "submissions", "SubmissionsError": "submissions", "collect": "submissions"}


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module the first time it is asked for."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute or name)
    globals()[name] = value
    return value

__all__ = ["Assignment", "AssignmentError", "ClassGrades", "GradeOptions", "Submission", "SubmissionsError",
           "collect", "grade_class", "grade_submission", "load_assignment"]
