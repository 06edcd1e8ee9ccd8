"""A plain ``pgverify check`` command line read without typer (the CLI's start-up: typer, click and pydantic
cost a third of a cold check of a small file).

:func:`check_arguments` reads only command lines whose meaning is beyond doubt: ``check`` first, then
paths and the options of ``check`` written out in full (``--format json``, ``--format=json``, ``-f json``,
``-q``).  Anything else (``--help``, an unknown or repeated option, clustered short flags, ``--``, a value
that starts with ``-`` or that typer would have to convert or refuse, shell completion) gives ``None``, and
the typer app reads the line, so every message and exit status stays typer's.  ``tests/test_cliargs.py``
holds this table to the options typer builds from :func:`pgverify.cli.check`'s signature.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

# option → (parameter of cli.check, kind); a kind is how its value is read (see _value), or a flag's value
FLAGS: dict[str, tuple[str, bool]] = {
    "--quiet": ("quiet", True), "-q": ("quiet", True),
    "--verbose": ("verbose", True), "-v": ("verbose", True),
    "--strict": ("strict", True), "--no-strict": ("strict", False),
    "--all-math": ("all_math", True), "--marked-math": ("all_math", False),
    "--no-color": ("no_color", True),
    "--no-cache": ("no_cache", True),
    "--watch": ("watch", True),
}
VALUED: dict[str, tuple[str, str]] = {
    "--format": ("output_format", "str"), "-f": ("output_format", "str"),
    "--output-file": ("output_file", "str"), "-o": ("output_file", "str"),
    "--output": ("outputs", "str*"),
    "--select": ("select", "str*"),
    "--ignore": ("ignore", "str*"),
    "--stdin-filename": ("stdin_filename", "str"),
    "--reader": ("reader", "str"),
    "--seed": ("seed", "int"),
    "--time-limit": ("time_limit", "float"),
    "--memory-limit": ("memory_limit", "int"),
    "--fail-on": ("fail_on", "str"),
    "--macros": ("macros", "path*"),
    "--config": ("config_file", "path"),
    "--jobs": ("jobs", "jobs"), "-j": ("jobs", "jobs"),
    "--cache-dir": ("cache_dir", "path"),
}
# what cli.check receives for an option not given (typer's defaults)
DEFAULTS: dict[str, Any] = {
    "paths": None, "output_format": None, "output_file": None, "outputs": None, "quiet": False, "verbose": False,
    "select": None, "ignore": None, "stdin_filename": None, "reader": None, "seed": None, "time_limit": None,
    "memory_limit": None, "strict": None, "fail_on": None, "all_math": None, "macros": None, "config_file": None,
    "no_color": False, "jobs": None, "no_cache": False, "cache_dir": None, "watch": False,
}
# numbers in their plainest spelling only: whatever else typer accepts or refuses, it says itself
_INTEGER = re.compile(r"[0-9]{1,15}")
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,15})?")
MAX_JOBS = 1024   # cli.check's --jobs bounds (1 … 1024); outside them typer gives the message


def check_arguments(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    """The keyword arguments of :func:`pgverify.cli.check` for ``argv`` (without the program name), or None
    when the line is not a plain ``check`` (the typer app then reads it)."""
    if not argv or argv[0] != "check" or any(k.startswith("_") and k.endswith("_COMPLETE") for k in environ):
        return None
    values = dict(DEFAULTS)
    given: set[str] = set()
    paths: list[Path] = []
    rest = list(argv[1:])
    while rest:
        token = rest.pop(0)
        if token == "-" or not token.startswith("-"):
            paths.append(Path(token))
            continue
        name, sep, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in FLAGS and not sep:
            parameter, flag = FLAGS[name]
            if parameter in given:
                return None
            given.add(parameter)
            values[parameter] = flag
            continue
        if name not in VALUED:
            return None
        parameter, kind = VALUED[name]
        if sep:
            text = inline
        elif rest:
            text = rest.pop(0)
        else:
            return None
        value = _value(text, kind)
        if value is None or (parameter in given and not kind.endswith("*")):
            return None
        given.add(parameter)
        if kind.endswith("*"):
            values[parameter] = [*(values[parameter] or []), value]
        else:
            values[parameter] = value
    values["paths"] = paths or None
    return values


def _value(text: str, kind: str) -> Any:
    """An option's value as typer gives it to cli.check, or None where typer should read it (or refuse it)."""
    if not text or text.startswith("-"):
        return None
    if kind in ("str", "str*"):
        return text
    if kind in ("path", "path*"):
        return Path(text)
    if kind == "float":
        return float(text) if _DECIMAL.fullmatch(text) else None
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if kind == "int" or 1 <= number <= MAX_JOBS else None


def say(message: str) -> None:
    """A line on standard error, as typer.echo writes it (flushed; escape sequences dropped off a terminal)."""
    stream = sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        message = _ANSI.sub("", message)
    stream.write(message + "\n")
    stream.flush()


_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")   # the sequences click.echo strips


class QuietFlush:
    """A stream whose flush ignores a closed pipe (typer leaves standard output so after EPIPE)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def collect_after_start_up() -> None:
    """No garbage collection during a command's start-up, which makes objects that live as long as the process
    (modules, sympy's tables; collecting over them costs a sixth of sympy's import).  What start-up made is
    frozen (never scanned again; a forked worker then leaves the pages it shares with this process alone),
    and collection resumes once sympy is loaded, or from the second worker on: a long run (``--watch``, a
    folder of notes) collects as usual, and only start-up's objects stay frozen."""
    starting = [True]
    forks = [0]

    def before_fork() -> None:
        if starting[0]:
            gc.freeze()

    def after_fork_in_parent() -> None:
        forks[0] += 1
        if starting[0] and (forks[0] >= 2 or "sympy" in sys.modules):
            starting[0] = False
            gc.enable()

    gc.disable()
    gc.freeze()   # what is loaded so far stays (and a run's heap settings, limits.steady_heap, find it frozen)
    os.register_at_fork(before=before_fork, after_in_child=gc.enable, after_in_parent=after_fork_in_parent)


def in_a_wide_frame(body: Callable[[], Any]) -> Any:
    """``body()``, called from a frame that holds a large block of the interpreter's frame stack.

    CPython (3.11) keeps the frames of running functions in chunks of 16 KiB and frees a chunk as soon as the
    frame at its start returns; a call path that keeps crossing a chunk's end maps and unmaps one on every
    call.  Where that end falls depends on how deep the command started (``python -m pgverify`` or the
    ``pgverify`` script): in one of them a cold check mapped and unmapped 10,000 chunks, a sixth of its CPU.
    Here the command runs on top of one frame that reserves :data:`_WIDE_SLOTS` slots, so the stack above it
    lives in one chunk of 512 KiB (its pages are touched only as frames use them), and the workers forked
    from inside inherit it."""
    return _WIDE(body)


def _call(body: Callable[[], Any]) -> Any:
    return body()


_WIDE_SLOTS = 33_000   # 8 bytes each: the frame needs 264 KiB, so its chunk is 512 KiB, 248 KiB of it free above
try:   # a code object whose value stack is larger than it uses: the interpreter only reserves the room
    _WIDE: Callable[[Callable[[], Any]], Any] = types.FunctionType(
        _call.__code__.replace(co_stacksize=_WIDE_SLOTS), globals(), "_call")
except (AttributeError, TypeError, ValueError):   # an interpreter whose code objects do not allow it
    _WIDE = _call
