"""The trajectory conventions a notes file leaves open (a declaration only notes mode makes).

Notes count time from 0 (``τ = (s_0, a_0, …, s_{T-1}, a_{T-1}, s_T)``) or from 1 (``τ = (s_1, a_1, …,
s_T, a_T)``), and some run to ``a_T`` from 0.  When a file neither defines ``τ`` or ``p_θ(τ)`` nor
says otherwise which one it uses, notes mode declares every convention its evidence leaves open;
a step is then decided under each of them (see :mod:`pgverify.open_conventions`).
"""

from __future__ import annotations

from .records import finish, record
from .statements import Definition, Statement


@record
class OpenConventions(Statement):
    """Several ways the file's trajectories may be laid out, none of which its evidence rules out.

    ``alternatives[k]`` are the definitions that make up convention ``k`` (the trajectory distribution
    and, where the notes leave it to pgverify, the return), ``names[k]`` how a report names it
    (``τ = (s_1, a_1, …, s_T, a_T, s_{T+1})``); ``reason`` says what the notes said, for the report.
    """

    alternatives: tuple[tuple[Definition, ...], ...]
    names: tuple[str, ...]
    reason: str


@record
class LetterRoles(Statement):
    """Letters the notes use for the rl vocabulary's actions and states (``π_θ(y|x)``: ``(("x", "s"),
    ("y", "a"))``): a variable written with such a letter ranges over that space."""

    roles: tuple[tuple[str, str], ...]


finish(__name__)   # the methods of both records, made at once (see model/records.py)
