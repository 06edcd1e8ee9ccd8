"""Benchmark: per-step times of proofs/, cold and cached runs of `pgverify check`, and how the cost grows.

Run from the repository root:  .venv/bin/python bench/run.py [--repeat N] [--quick] [--no-baseline]

Prints, each in one run so that the figures can be compared on a busy machine:

* per step of proofs/ (checked in this process, sympy already loaded): median, p95 and the slowest;
* start-up, as CPU seconds of a fresh process and as a ratio to `python -c "import sympy"` timed in the
  same run (the median of a few rounds): `--help`, `check` of the seed example without a cache, and
  `check proofs/` fully cached (and its wall-clock time);
* growth: `∇_θ log(π(a_0|s_0) … π(a_{n-1}|s_{n-1}))` against its sum of logs for n = 10 … 800 factors;
  files of 1 … 1,000 three-step derivations (time per step); Markdown notes of 10 … 1,000 blocks (time
  per block, the reader's peak memory and the model it keeps as multiples of the file's size, and the
  peak's growth per byte of file between the two largest notes, after a read of the largest has filled the
  bounded tables a read fills);
* a naive baseline on the same steps: `sympy.simplify(lhs - rhs) == 0` in a worker with the same limit.

A measurement, not a test: nothing here fails a build.  `--quick` is a smoke run (proofs/seed/, small
series) that the tests use.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgverify.checker import Options, check_source, check_step
from pgverify.limits import TimedOut, run_jobs, steady_heap
from pgverify.readers import ReadOptions, read_text
from pgverify.semantics import build_context
from pgverify.syntax import parse_file, parse_source

TARGETS = {"median step (ms)": 15.0, "p95 step (ms)": 100.0, "slowest step (ms)": 400.0,
           "cold check / import sympy": 1.4, "cached check proofs/ (s)": 0.5, "400 factors (s)": 0.5}
SEED = ROOT / "proofs" / "seed" / "seed_policy_gradient.pgv"


def steps_of(paths: list[Path]):
    for path in paths:
        source = parse_file(path)
        lemmas: dict = {}
        for d in source.derivations:
            ctx = build_context(source.declarations, d.declarations, dict(lemmas))
            if d.lemma and d.goal is not None:
                lemmas[d.lemma] = (d.goal.lhs, d.goal.relation, d.goal.rhs)
            for step in d.steps:
                if step.previous is not None and step.expr is not None:
                    yield path, step, ctx


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_pgverify(items, repeat: int) -> list[tuple[float, str]]:
    """Each step's best time, checked as `check` checks it: on a steady heap (``limits.steady_heap``), so a
    full collection of the whole process does not land on whichever step happens to trigger it."""
    with steady_heap():
        return _time_steps(items, repeat)


def _time_steps(items, repeat: int) -> list[tuple[float, str]]:
    options = Options()
    out = []
    for path, step, ctx in items:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            check_step(step, ctx, options)
            best = min(best, time.perf_counter() - start)
        out.append((best, f"{path.relative_to(ROOT)}:{step.span.line}"))
    return out


def naive_job(step, ctx):
    def job():
        import sympy

        from pgverify.kernel.translate import Translator

        start = time.perf_counter()
        try:
            translator = Translator(ctx)  # both sides built from the tree, definitions left folded
            lhs, rhs = translator.side(step.previous), translator.side(step.expr)
            proved = sympy.simplify((lhs - rhs).doit()) == 0
        except Exception:
            proved = False
        return time.perf_counter() - start, proved
    return job


# --------------------------------------------------------------------------- start-up and the cache


# the commands run as a user runs them: with Python's bytecode cache (an environment that turns it off
# would make every start compile pgverify's modules again)
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _process(command: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system, the process and its workers) and wall seconds of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=_ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def start_up(rounds: int, proofs: Path) -> dict[str, tuple[float, float]]:
    """Median CPU and wall seconds of each command, the commands interleaved round by round."""
    pgverify = [sys.executable, "-m", "pgverify"]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        subprocess.run(pgverify + ["check", "--cache-dir", str(cache), str(proofs)], capture_output=True,
                       check=False, env=_ENV)   # fills the cache (and the bytecode cache)
        commands = {
            "python -c 'import sympy'": [sys.executable, "-c", "import sympy"],
            "pgverify --help": pgverify + ["--help"],
            "pgverify rules": pgverify + ["rules"],
            "check seed (no cache)": pgverify + ["check", "--no-cache", str(SEED)],
            f"check {proofs.relative_to(ROOT)}/ (cached)": pgverify + ["check", "--cache-dir", str(cache),
                                                                       str(proofs)],
        }
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for command in commands.values():   # a warm-up round, not counted (bytecode, the parser's tables)
            _process(command, ROOT)
        for _ in range(rounds):
            for name, command in commands.items():
                runs[name].append(_process(command, ROOT))
    return {name: (statistics.median(c for c, _ in r), statistics.median(w for _, w in r))
            for name, r in runs.items()}


# --------------------------------------------------------------------------- growth


def _product_claim(n: int) -> str:
    product = " ".join(f"π_θ(a_{i} | s_{i})" for i in range(n))
    logs = " + ".join(f"∇_θ log π_θ(a_{i} | s_{i})" for i in range(n))
    return f"use rl\nclaim ∇_θ log({product}) = {logs}\n"


def _derivations(k: int, start: int = 0) -> str:
    """A file of ``k`` three-step derivations; ``start`` numbers them, so that no two files of a run share an
    expression (a file checked again would find its sympy expressions cached and cost less: not a fair figure)."""
    parts = ["param x, y\n"]
    for i in range(start, start + k):
        parts.append(f'\nderivation "d{i}"\n    (x + {i + 1}) (y + 1)\n  = x y + x + {i + 1} y + {i + 1}   by algebra\n'
                     f"  = x (y + 1) + {i + 1} (y + 1)   by algebra\n  = (y + 1) (x + {i + 1})   by algebra\n")
    return "".join(parts)


def _markdown(blocks: int) -> str:
    parts = ["# Notes\n\n<!-- pgverify: param x -->\n"]
    for i in range(blocks):
        parts.append(f"\nParagraph {i} of prose around the mathematics, as lecture notes have it.\n\n"
                     f"$$\n\\begin{{aligned}}\n(x + {i + 1})^2 &= x^2 + {2 * (i + 1)} x + {(i + 1) ** 2}\n"
                     f"\\end{{aligned}}\n$$\n")
    return "".join(parts)


def _one_step_seconds(text: str, limit: float) -> tuple[float, str]:
    """Seconds to check the claim's one step, and its verdict (or the error that kept it from being read:
    a measurement reports what happened, it does not stop at the first point the tool refuses).  On a steady
    heap, as `check` runs a step (``time_pgverify``): a full collection of this process's heap, which has
    proofs/'s steps and contexts in it by then, would otherwise land on whichever claim triggers it."""
    started = time.perf_counter()
    source = parse_source(text, "growth.pgv")
    if not source.derivations or not source.derivations[0].steps:
        why = source.errors[0].message if source.errors else "no step was read"
        return time.perf_counter() - started, f"error: {why}"
    d = source.derivations[0]
    ctx = build_context(source.declarations, d.declarations, {})
    with steady_heap():
        started = time.perf_counter()
        result = check_step(d.steps[0], ctx, Options(time_limit=limit))
        return time.perf_counter() - started, result.verdict


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its finished workers."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _derivations_series(quick: bool) -> None:
    """CPU time per step in files of k derivations: in this process, then (k ≥ 100) in the forked workers.

    Each file has derivations of its own (``_derivations(k, start)``), a warm-up file fills the caches first
    (so k = 1 is not charged for it), a small k is measured over enough files for a few hundred steps, and
    the sizes take turns round after round (a busy machine slows them alike), each figure the best round.
    CPU seconds (this process and its workers) are less sensitive than wall-clock time to the other programs
    of a busy machine."""
    check_source(parse_source(_derivations(20, 1_000_000), "warm-up.pgv"), Options(in_process=True))
    start = 1_000_020   # the numbers no file has used yet
    series = [("in this process", Options(in_process=True), (1, 10) if quick else (1, 10, 100, 1000))]
    if not quick:
        series.append(("in the forked workers, the default", Options(), (100, 1000)))
    rounds, enough = (2, 30) if quick else (3, 300)
    best: dict[tuple[str, int], float] = {}
    for _ in range(rounds):
        for label, options, ks in series:
            for k in ks:
                cpu, steps = 0.0, 0
                for _ in range(max(1, enough // (3 * k))):
                    source = parse_source(_derivations(k, start), "growth.pgv")
                    start += k
                    before = _cpu_seconds()
                    result = check_source(source, options)
                    cpu += _cpu_seconds() - before
                    steps += sum(len(d.steps) for d in result.derivations)
                best[label, k] = min(best.get((label, k), float("inf")), cpu / steps)
    for label, _, ks in series:
        print(f"growth: a file of k three-step derivations ({label}; CPU, best of {rounds} rounds)")
        for k in ks:
            print(f"  k = {k:4d}   {best[label, k] * 1000:7.2f} ms per step")


def growth(quick: bool, limit: float) -> None:
    factors = (10, 50) if quick else (10, 50, 100, 200, 400, 800)
    print("growth: ∇_θ log of a product of n factors = its sum of logs (one step)")
    for n in factors:
        seconds, verdict = _one_step_seconds(_product_claim(n), limit)
        print(f"  n = {n:4d}   {seconds:7.3f} s   {verdict}")
    _derivations_series(quick)
    _markdown_series(quick)


def _read_memory(text: str) -> tuple[int, int]:
    """The Markdown reader's peak memory while it reads ``text`` (bytes that tracemalloc saw allocated, the
    text itself not counted: it was there before), and what of it is still alive once the reader has
    returned (its SourceFile: the model the checker needs; cyclic garbage collected first)."""
    gc.collect()
    tracemalloc.start()
    source, _ = read_text(text, "notes.md", ReadOptions())
    _, peak = tracemalloc.get_traced_memory()
    gc.collect()
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del source
    return peak, kept


def _markdown_series(quick: bool) -> None:
    """Time per block (a read without tracemalloc, which slows allocation down), the reader's peak memory and
    the model it keeps, as multiples of the file's size, and the peak's growth per byte of file from the
    second-largest note to the largest (the constant a small note pays, such as the grammars, left out)."""
    print("growth: a Markdown note of b blocks (read, then checked in this process)")
    sizes = (10, 100) if quick else (10, 100, 1000)
    # the grammars load once, and the bounded tables a read fills (the short numerals, a file's first
    # derivations kept unpacked) are filled, outside the figures: they are the constant, not the growth
    read_text(_markdown(sizes[-1]), "warm-up.md", ReadOptions())
    figures = []
    for b in sizes:
        text = _markdown(b)
        size = len(text.encode())
        started = time.perf_counter()
        source, _ = read_text(text, "notes.md", ReadOptions())
        read_seconds = time.perf_counter() - started
        peak, kept = _read_memory(text)
        figures.append((size, peak, kept))
        started = time.perf_counter()
        result = check_source(source, Options(in_process=True))
        seconds = time.perf_counter() - started
        steps = sum(len(d.steps) for d in result.derivations)
        print(f"  b = {b:4d}   {size / 1024:7.1f} KiB   read {read_seconds * 1000 / b:6.2f} ms per block,"
              f" peak {peak / size:5.1f}× the file (the model kept {kept / size:5.1f}×)"
              f"   check {seconds * 1000 / max(steps, 1):6.1f} ms per step")
    (size0, peak0, kept0), (size1, peak1, kept1) = figures[-2:]
    print(f"  growth per byte of file from the last two notes: peak {(peak1 - peak0) / (size1 - size0):5.1f}×,"
          f" of which the model kept {(kept1 - kept0) / (size1 - size0):5.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="time each step N times, keep the best")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the start-up commands (median)")
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--no-baseline", action="store_true", help="leave out the naive sympy baseline")
    parser.add_argument("--quick", action="store_true", help="a smoke run on proofs/seed/ only (the tests use it)")
    args = parser.parse_args()
    if args.quick:
        args.rounds = 1

    proofs = ROOT / "proofs" / ("seed" if args.quick else "")
    paths = sorted(proofs.rglob("*.pgv"))
    items = list(steps_of(paths))
    import sympy

    timings = time_pgverify(items, args.repeat)
    ms = [t * 1000 for t, _ in timings]
    slowest = max(timings)
    print(f"pgverify: {len(items)} steps in {len(paths)} files of {proofs.relative_to(ROOT)}/"
          f" ({os.cpu_count()} cores)")
    print(f"  median {statistics.median(ms):8.1f} ms   p95 {percentile(ms, 0.95):8.1f} ms   "
          f"slowest {slowest[0] * 1000:8.1f} ms ({slowest[1]})")

    print(f"start-up and cache (median of {args.rounds} rounds; CPU of the process and its workers):")
    figures = start_up(args.rounds, proofs)
    sympy_cpu = figures["python -c 'import sympy'"][0]
    for name, (cpu, wall) in figures.items():
        print(f"  {name:<36} {cpu:6.2f} s CPU  = {cpu / sympy_cpu:5.2f}× import sympy   {wall:6.2f} s wall")

    growth(args.quick, args.time_limit)

    if not args.no_baseline:
        results = run_jobs([naive_job(step, ctx) for _, step, ctx in items], args.time_limit)
        naive_ms = [r[0] * 1000 if not isinstance(r, TimedOut) else args.time_limit * 1000 for r in results]
        proved = sum(1 for r in results if isinstance(r, tuple) and r[1])
        timeouts = sum(1 for r in results if isinstance(r, TimedOut))
        print(f"naive sympy.simplify(lhs - rhs) == 0: proves {proved}/{len(items)}, {timeouts} time-outs")
        print(f"  median {statistics.median(naive_ms):8.1f} ms   p95 {percentile(naive_ms, 0.95):8.1f} ms   "
              f"slowest {max(naive_ms):8.1f} ms")
    print("targets: " + ", ".join(f"{k} ≤ {v:g}" for k, v in TARGETS.items()))


if __name__ == "__main__":
    main()
