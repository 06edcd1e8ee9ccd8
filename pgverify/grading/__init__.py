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

from .assignment import Assignment, AssignmentError
from .assignment import load as load_assignment
from .grade import ClassGrades, GradeOptions, grade_class, grade_submission
from .submissions import Submission, SubmissionsError, collect

__all__ = ["Assignment", "AssignmentError", "ClassGrades", "GradeOptions", "Submission", "SubmissionsError",
           "collect", "grade_class", "grade_submission", "load_assignment"]
