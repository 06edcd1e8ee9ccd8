"""Benchmark: time every step of proofs/, the cold start of `pgverify check`, and a naive baseline.

Run from the repository root:  .venv/bin/python bench/run.py [--repeat N]

Prints per-step median and p95 (and the slowest step) for pgverify's own check
(numeric models + symbolic proof + justification), the cold-start wall time of
`pgverify check` on the seed example, and, on the same steps, a naive baseline:
build both sides with sympy and ask `sympy.simplify(lhs - rhs) == 0`, each in a
worker with the same time limit.  This is a measurement, not a test: nothing
here fails a build.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgverify.checker import Options, check_step  # noqa: E402
from pgverify.limits import TimedOut, run_jobs  # noqa: E402
from pgverify.semantics import build_context  # noqa: E402
from pgverify.syntax import parse_file  # noqa: E402

TARGETS = {"cold start (s)": 1.5, "median step (ms)": 50.0, "slowest step (ms)": 1000.0}


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
        except Exception:  # noqa: BLE001 - the baseline simply fails on what it cannot build
            proved = False
        return time.perf_counter() - start, proved
    return job


def cold_start() -> float:
    exe = Path(sys.executable).parent / "pgverify"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "pgverify"]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command + ["check", str(ROOT / "proofs/seed/seed_policy_gradient.pgv")],
                       capture_output=True, check=False)
        runs.append(time.perf_counter() - start)
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="time each step N times, keep the best")
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="a smoke run on proofs/seed/ only (the tests use it)")
    args = parser.parse_args()

    paths = sorted((ROOT / "proofs" / ("seed" if args.quick else "")).rglob("*.pgv"))
    items = list(steps_of(paths))
    import sympy  # noqa: F401 - load sympy before timing, as a long-running checker would have it

    timings = time_pgverify(items, args.repeat)
    ms = [t * 1000 for t, _ in timings]
    slowest = max(timings)
    print(f"pgverify: {len(items)} steps in {len(paths)} files of proofs/")
    print(f"  median {statistics.median(ms):8.1f} ms   p95 {percentile(ms, 0.95):8.1f} ms   "
          f"slowest {slowest[0] * 1000:8.1f} ms ({slowest[1]})")

    results = run_jobs([naive_job(step, ctx) for _, step, ctx in items], args.time_limit)
    naive_ms = [r[0] * 1000 if not isinstance(r, TimedOut) else args.time_limit * 1000 for r in results]
    proved = sum(1 for r in results if isinstance(r, tuple) and r[1])
    timeouts = sum(1 for r in results if isinstance(r, TimedOut))
    print(f"naive sympy.simplify(lhs - rhs) == 0: proves {proved}/{len(items)}, {timeouts} time-outs")
    print(f"  median {statistics.median(naive_ms):8.1f} ms   p95 {percentile(naive_ms, 0.95):8.1f} ms   "
          f"slowest {max(naive_ms):8.1f} ms")

    cold = cold_start()
    print(f"cold start of `pgverify check proofs/seed/seed_policy_gradient.pgv`: {cold:.2f} s")
    print("targets: " + ", ".join(f"{k} < {v:g}" for k, v in TARGETS.items()))


if __name__ == "__main__":
    main()
