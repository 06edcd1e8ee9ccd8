"""Step results kept on disk, so that `pgverify check` re-checks only what changed (as ruff does).

A step's result depends on nothing but the step (its two sides, its relation,
its citation and its text), the declarations, definitions and lemmas in force
(the derivation's :class:`~pgverify.semantics.Context`), the options that
decide a verdict (seed, models, time limit, strictness) and pgverify's own
code.  The cache key is a sha256 of exactly these, with every source position
left out: a step that only moved (a line inserted above it) is still found,
and its result is given its new line and column.  A goal's status is kept the
same way, under its sides, its chains and the verdicts of its steps.

A step that ran out of time, ran out of memory or whose worker crashed is
never kept: whether it runs out depends on how busy the machine was, so it is
checked again next time.  One file of records is kept per input (named by a hash of
the input's name) and rewritten with just the records that input used, so a
cache never grows with stale entries.  Records are JSON with a sha256 of their content: a file that
is damaged, edited or written by another version is ignored, never trusted
(nothing in it is ever evaluated).  The directory gets a ``.gitignore`` of
``*`` when pgverify creates it.  This module imports neither sympy nor the
kernel, so a run whose every step is cached never loads them.

In front of the step records stands one record per input for the whole
file (:class:`FileOutcome`, under ``files/``): keyed on the file's bytes, its
name, the reader chosen, the reading options (``--all-math``, the macros'
text from ``--macros`` files and the configuration's macro table), the options
that decide a verdict and pgverify's code.  An unchanged file is then served
without being parsed (no parse worker is forked) and without the checker:
its results, the blocks it skipped, its ``pgverify: ignore`` comments and its
look-alike notes are all the report needs.  The same rules hold: an outcome
with a time-out, a crash or a problem reading the file (an error at line 0)
is never kept, and a record is served only under its own key and digest.
Records are built only of the result classes named in :data:`_RECORDS`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import model as m
from ._version import __version__
from .results import VERDICTS, DerivationResult, FileResult, StepResult

DEFAULT_DIRECTORY = Path(".pgverify-cache")
FORMAT = "pgverify-check-2"   # the layout of a record file; bumped when it changes


@functools.cache
def code_fingerprint() -> str:
    """The version and a hash of pgverify's own source and grammar files (a changed checker is never served
    the old one's results, even without a version bump)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".lark") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- keys


def canonical(value: Any) -> str:
    """A text that names ``value`` exactly and never depends on a source position or on set order.

    Syntax-tree nodes leave their spans out of ``repr``; sets and dictionaries are written sorted, so
    the text is the same in every process (string hashing is randomized per process).
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, m.Span):
            return ""
        parts = [f"{f.name}={canonical(getattr(value, f.name))}" for f in dataclasses.fields(value)
                 if f.compare and f.name != "span"]
        return f"{type(value).__name__}({','.join(parts)})"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(canonical(v) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{canonical(k)}:{canonical(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, (str, int, float, bool, Fraction)) or value is None:
        return repr(value)
    return f"{type(value).__name__}:{value!r}"


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


# options that say how the work is spread or bounded, never what a finished check finds
_NOT_DECIDING = frozenset({"jobs", "in_process", "memory_limit"})


def options_key(options: Any) -> str:
    """What of the checker's options (a dataclass) decides a verdict: every field but ``_NOT_DECIDING``, so an
    option added later is in the key unless it is named there."""
    return ",".join(f"{f.name}={canonical(getattr(options, f.name))}" for f in dataclasses.fields(options)
                    if f.name not in _NOT_DECIDING)


def context_key(ctx: Any) -> str:
    """The declarations, definitions and lemmas in force, as one hash (computed once per derivation)."""
    return _hash(canonical(ctx))


def step_key(step: m.Step, ctx_key: str, options: str) -> str:
    """The key of one step's result: its content, what is in scope, the options and pgverify's code.

    The step's source text is left out, as its position is: nothing but the parsed step decides its
    result, so a step written with other spacing or line breaks is found, and its text is given back
    with its position (:func:`step_from_record`)."""
    items = step.justification.items if step.justification is not None else None
    text = step.justification.text if step.justification is not None else None
    return _hash(FORMAT, "step", code_fingerprint(), options, ctx_key, canonical(step.previous), step.relation,
                 canonical(step.expr), canonical(items), canonical(text))


def goal_key(derivation: m.Derivation, verdicts: list[tuple[str, str]], ctx_key: str, options: str) -> str:
    """The key of a goal's status: its sides, the chains' ends and the (verdict, relation) of each step."""
    return _hash(FORMAT, "goal", code_fingerprint(), options, ctx_key, canonical(derivation.goal),
                 canonical(derivation.chains), canonical(verdicts))


# --------------------------------------------------------------------------- records


def encode(value: Any) -> Any:
    """Plain data to JSON that keeps tuples apart from lists (a renderer may tell them apart)."""
    return _pack(value, {})


def decode(value: Any) -> Any:
    """The inverse of :func:`encode` (raises ValueError on anything it could not have written)."""
    return _unpack(value, {})


_STEP_FIELDS = [f for f in dataclasses.fields(StepResult) if f.compare and f.name not in ("line", "column", "text")]


def step_record(result: StepResult) -> Any:
    """A step's result without its position and text (given back by :func:`step_from_record`)."""
    return encode({f.name: getattr(result, f.name) for f in _STEP_FIELDS})


def step_from_record(record: Any, step: m.Step) -> StepResult | None:
    """The result kept in ``record``, at ``step``'s position and with its text; None when the record is not one."""
    try:
        fields = decode(record)
        if not isinstance(fields, dict) or set(fields) != {f.name for f in _STEP_FIELDS} \
                or fields["verdict"] not in VERDICTS:
            return None
        return StepResult(step.span.line, step.span.column, text=step.text, **fields)
    except (ValueError, TypeError):
        return None


# --------------------------------------------------------------------------- whole files
#
# A file whose bytes, reader, reading options (macros included), checking options and pgverify's code are
# those of an earlier run has the earlier run's results: what the run needs of it (the results, the
# skipped blocks, the suppression comments, the look-alike notes) is served without reading, parsing,
# forking or loading sympy.  An outcome with a time-out, a crash or a problem reading the file is never
# kept (the same rule as for steps).

FILE_FORMAT = "pgverify-file-1"


@dataclasses.dataclass
class FileOutcome:
    """What the report needs of one checked file: its results (``notes``: the blocks skipped), its
    ``pgverify: ignore`` comments (applied by the caller, whose report keys faults by object) and its
    look-alike notes."""

    result: FileResult
    suppressions: tuple[m.Suppression, ...] = ()
    lookalikes: list[tuple[int, int, str, str]] = dataclasses.field(default_factory=list)  # a Note's fields


def file_key(name: str, reader: str | None, data: bytes, read_options: Any, options: Any) -> str:
    """The key of a file's outcome: its name (reports show it), the reader chosen, its bytes, how notes are
    read (``ReadOptions``, macros included), the options that decide a verdict and pgverify's code."""
    return _hash(FILE_FORMAT, code_fingerprint(), name, reader or "", hashlib.sha256(data).hexdigest(),
                 canonical(read_options), options if isinstance(options, str) else options_key(options))


# the records a file outcome is made of, every field kept: a step's elapsed time too (unlike a step's record,
# which a changed file reuses), so a served file's JUnit report says what its check took, as the first run's did
_RECORDS: dict[str, type] = {cls.__name__: cls for cls in (
    FileOutcome, FileResult, DerivationResult, StepResult, m.SyntaxIssue, m.Span, m.Suppression, m.Fact,
    m.Coverage, m.Cell, m.Lines)}


def _kept_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def pack(value: Any) -> Any:
    """A file outcome (or any value built of :data:`_RECORDS` and plain data) as JSON data."""
    return _pack(value, _RECORDS)


def unpack(value: Any) -> Any:
    """The inverse of :func:`pack`; raises ValueError on anything it could not have written."""
    return _unpack(value, _RECORDS)


def _pack(value: Any, records: dict[str, type]) -> Any:
    """``value`` as JSON data: plain data, and dataclasses of ``records`` (none for a step's record)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if records.get(cls.__name__) is not cls:
            raise TypeError(f"not a record: {cls.__name__}")
        return {"record": [cls.__name__, [[name, _pack(getattr(value, name), records)]
                                          for name in _kept_fields(cls)]]}
    if isinstance(value, list):
        return [_pack(v, records) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_pack(v, records) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": [[k, _pack(v, records)] for k, v in value.items()]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"not plain data: {type(value).__name__}")


def _unpack(value: Any, records: dict[str, type]) -> Any:
    """The inverse of :func:`_pack` with the same ``records``; raises ValueError on anything else."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("record"), list):
        name, fields = value["record"] if len(value["record"]) == 2 else (None, None)
        cls = records.get(name) if isinstance(name, str) else None
        if cls is None or not isinstance(fields, list) or \
                not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in fields) or \
                [p[0] for p in fields] != _kept_fields(cls):
            raise ValueError("not a cache record")
        try:
            return cls(**{k: _unpack(v, records) for k, v in fields})
        except TypeError:
            raise ValueError("not a cache record") from None
    if isinstance(value, list):
        return [_unpack(v, records) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("tuple"), list):
            return tuple(_unpack(v, records) for v in value["tuple"])
        if isinstance(value.get("dict"), list):
            pairs = value["dict"]
            if all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
                return {k: _unpack(v, records) for k, v in pairs}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError("not a cache record")


def decided(outcome: FileOutcome) -> bool:
    """Whether an outcome may be kept: no step or goal ran out of time or crashed, the file was read (a
    problem reading it is an error at line 0), and nothing said it was cut short."""
    result = outcome.result
    if any(e.span.line == 0 for e in result.errors):
        return False
    for d in result.derivations:
        if d.goal_message == GOAL_TIMED_OUT:
            return False
        for s in d.steps:
            if s.verdict not in VERDICTS or s.message.startswith(STOPPED_MESSAGES):
                return False
    return True


# the messages the checker gives a step or a goal that was stopped (checker._as_result): never kept
STOPPED_MESSAGES = ("time limit of ", "the check stopped: ")
GOAL_TIMED_OUT = "the goal could not be compared in time"


# --------------------------------------------------------------------------- the store


class CheckCache:
    """A directory of step and goal results, one record file per input (``directory=None``: no cache).

    :meth:`get` serves records from the input's file as last written; :meth:`put` collects the records
    of this run; :meth:`save` writes them (only what this run used: stale records go).  Beside them, one
    record per input holds the whole file's outcome (:meth:`get_file`, :meth:`put_file`).
    """

    # an empty directory that exists gets a .gitignore too (``grade``'s stores leave an existing one alone)
    EXISTING_IS_THE_USERS = False

    def __init__(self, directory: Path | None):
        self.root = directory
        self.directory = directory / "check" if directory is not None else None
        self.hits = 0
        self.misses = 0
        self.file_hits = 0   # whole files served (get_file)
        self._old: dict[str, dict[str, Any]] = {}
        self._new: dict[str, dict[str, Any]] = {}

    def get(self, name: str, key: str) -> Any:
        """The record kept under ``key`` for the input ``name`` (None when there is none)."""
        if self.directory is None:
            return None
        old = self._old.get(name)
        if old is None:
            old = self._old[name] = self._read(name)
        record = old.get(key)
        if record is None:
            self.misses += 1
        else:
            self.hits += 1
            self._new.setdefault(name, {})[key] = record
        return record

    def put(self, name: str, key: str, record: Any) -> None:
        """Keep ``record`` under ``key`` for the input ``name`` (written by :meth:`save`)."""
        if self.directory is not None:
            self._new.setdefault(name, {})[key] = record

    def save(self, name: str) -> None:
        """Write the records this run used for ``name`` (atomically: a temporary file renamed)."""
        if self.directory is None:
            return
        entries = self._new.pop(name, {})
        if entries == self._old.pop(name, None):
            return   # nothing changed: leave the file as it is
        self._write(self._path(name), {"format": FORMAT, "code": code_fingerprint(), "input": name,
                                       "entries": entries})

    def get_file(self, name: str, key: str) -> FileOutcome | None:
        """The outcome kept for the input ``name`` under ``key`` (None when there is none, or another)."""
        if self.directory is None:
            return None
        body = self._load(self._file_path(name))
        if body is None or body.get("format") != FILE_FORMAT or body.get("input") != name \
                or body.get("key") != key:
            return None
        try:
            outcome = unpack(body.get("outcome"))
        except (ValueError, RecursionError):
            return None
        if not isinstance(outcome, FileOutcome) or not isinstance(outcome.result, FileResult) \
                or outcome.result.path != name:
            return None
        self.file_hits += 1
        return outcome

    def put_file(self, name: str, key: str, outcome: FileOutcome) -> None:
        """Keep ``outcome`` as the input ``name``'s, under ``key`` (written now; an undecided one is not)."""
        if self.directory is None or not decided(outcome):
            return
        try:
            body = {"format": FILE_FORMAT, "code": code_fingerprint(), "input": name, "key": key,
                    "outcome": pack(outcome)}
        except (TypeError, RecursionError):
            return   # not plain data: checked again next time
        self._write(self._file_path(name), body)

    def _load(self, path: Path) -> dict[str, Any] | None:
        # imported here, as in _write: a run without a cache directory never loads it
        import json

        try:
            digest, _, text = path.read_text(encoding="utf-8").partition("\n")
            if digest != _hash(text):
                return None
            body = json.loads(text)
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(body, dict) or body.get("code") != code_fingerprint():
            return None
        return body

    def _write(self, path: Path, body: dict[str, Any]) -> None:
        # imported here, as in _load
        import json
        import tempfile

        try:
            text = json.dumps(body, ensure_ascii=False, sort_keys=True)
            self._create_root()
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                             suffix=".tmp") as handle:
                handle.write(_hash(text) + "\n" + text)
            os.replace(handle.name, path)
        except (OSError, TypeError, ValueError, RecursionError):
            pass  # a cache that cannot be written only costs time

    def _file_path(self, name: str) -> Path:
        assert self.root is not None
        hashed = _hash("input", name)
        return self.root / "files" / hashed[:2] / f"{hashed}.json"

    def _read(self, name: str) -> dict[str, Any]:
        body = self._load(self._path(name))
        if body is None or body.get("format") != FORMAT or body.get("input") != name \
                or not isinstance(body.get("entries"), dict):
            return {}
        return body["entries"]

    def _create_root(self) -> None:
        """Create the cache directory with a ``.gitignore`` of ``*``; one that exists is left as it is."""
        assert self.root is not None
        if self.root.exists():
            if not self.EXISTING_IS_THE_USERS and not (self.root / ".gitignore").exists() \
                    and not any(self.root.iterdir()):
                self._write_gitignore()
            return
        try:
            self.root.mkdir(parents=True)
        except FileExistsError:   # another run created it first (and writes the .gitignore)
            return
        self._write_gitignore()

    def _write_gitignore(self) -> None:
        assert self.root is not None
        (self.root / ".gitignore").write_text("# written by pgverify: the cache is never committed\n*\n",
                                              encoding="utf-8")

    def _path(self, name: str) -> Path:
        assert self.directory is not None
        hashed = _hash("input", name)
        return self.directory / hashed[:2] / f"{hashed}.json"


# --------------------------------------------------------------------------- results shared by a run's workers


SHARED_FORMAT = "pgverify-shared-1"


class SharedResults(CheckCache):
    """Step and goal results shared by every worker of a run, one file per key (``grade``'s class-wide store).

    A class's submissions share most of their steps (the first step of a derivation is often written the
    same way by half the class), and a step's result depends on nothing but its key (:func:`step_key`):
    the step, what is in scope (the assignment's preamble and the student's own declarations), the options
    and pgverify's code.  So a step is checked once per class, whichever submission has it first, and every
    other submission with it is served its result.  Unlike :class:`CheckCache`, which keeps one file per
    input and writes it at the end, a record here is written as soon as it is known (atomically), under its
    own key, so that the other workers, forked processes of their own, find it at once; and a record read
    once is kept in memory for the rest of the worker's submissions.  The same rules hold: a time-out or a
    crash is never kept (the caller does not put it), and a record is served only under its own key, with
    its digest and the same code fingerprint.  There is no whole-file record.
    """

    # as ``grade``'s own cache: a directory that exists is the user's (``--cache-dir``), left as it is
    EXISTING_IS_THE_USERS = True

    def __init__(self, directory: Path):
        super().__init__(directory)
        self.directory = directory / "steps"
        self._seen: dict[str, Any] = {}

    def get(self, name: str, key: str) -> Any:
        """The record kept under ``key`` (``name``, the input, plays no part: a record serves every input)."""
        record = self._seen.get(key)
        if record is None:
            body = self._load(self._key_path(key))
            if body is not None and body.get("format") == SHARED_FORMAT and body.get("key") == key:
                record = body.get("record")
        if record is None:
            self.misses += 1
            return None
        self.hits += 1
        self._seen[key] = record
        return record

    def put(self, name: str, key: str, record: Any) -> None:
        """Keep ``record`` under ``key``, written now so that the other workers see it."""
        self._seen[key] = record
        self._write(self._key_path(key), {"format": SHARED_FORMAT, "code": code_fingerprint(), "key": key,
                                          "record": record})

    def save(self, name: str) -> None:
        """Nothing to do: every record was written when it was put."""

    def get_file(self, name: str, key: str) -> FileOutcome | None:
        """No whole-file records are kept here."""
        return None

    def put_file(self, name: str, key: str, outcome: FileOutcome) -> None:
        """No whole-file records are kept here."""

    def _key_path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"


def value_key(kind: str, *parts: str) -> str:
    """The key of another value a run shares between its workers (a comparison's outcome, say): its kind,
    pgverify's code and the canonical texts of what decides it."""
    return _hash(SHARED_FORMAT, kind, code_fingerprint(), *parts)
