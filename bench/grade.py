"""Benchmark: grade 1,000 generated submissions of the seed's decomposition exercise.

Run from the repository root:  .venv/bin/python bench/grade.py [--submissions N] [--jobs J ...]

The submissions are written from templates: correct derivations (several
lengths, with and without justifications) and every catalogued mistake that
applies to the decomposition (the flawed derivations of proofs/seed/ and
proofs/flawed/ are the models), plus an unreadable one.  Each template is
written in six ways, as a class writes it: the time index named t, k or j, and
the policy's and the dynamics' terms in either order (and, on top, with other
spacing, which changes the text but not the steps).  Each file differs from the
others by its header, so every one is graded; the steps the class has in
common are checked once (``grade`` shares them between its workers), and the
count of steps checked against steps graded is printed.  The class is graded
with 1 and with 2 workers (the last run fills a fresh cache), then graded
again from that cache.  Prints submissions per second for each, and peak
memory (resident set of this process and of the largest worker).  Targets:
1,000 submissions in under 30 s with 2 workers on 2 cores; a cached re-grade
under 1 s.  A measurement, not a test: nothing here fails a build.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgverify.grading import GradeOptions, collect, grade_class, load_assignment
from pgverify.limits import default_workers

ASSIGNMENT = ROOT / "tests" / "grading" / "decomposition.toml"
TARGET_SECONDS = 30.0          # 1,000 submissions with 2 workers
TARGET_CACHED_SECONDS = 1.0    # the same class again, every grade from the cache

START = "    ∇_θ log Pr_θ(τ)\n"
SPLIT = "  = ∇_θ ( log ρ0(s_0) + sum_{t=0}^{T-1} ( log π_θ(a_t | s_t) + log P(s_{t+1} | s_t, a_t) ) )"
POLICY_ONLY = "  = ∇_θ sum_{t=0}^{T-1} log π_θ(a_t | s_t)"
GOAL_RHS = "  = sum_{t=0}^{T-1} ∇_θ log π_θ(a_t | s_t)"

TEMPLATES: dict[str, str] = {
    # correct
    "correct": START + SPLIT + "   by definition, log-product\n" + POLICY_ONLY + "   by theta-independence\n"
               + GOAL_RHS + "   by exchange\n",
    "correct-short": START + SPLIT + "   by definition, log-product\n" + GOAL_RHS + "   by theta-independence\n",
    "correct-long": START + SPLIT + "   by definition, log-product\n"
                    "  = ∇_θ ( log ρ0(s_0) + sum_{t=0}^{T-1} log π_θ(a_t | s_t) + sum_{t=0}^{T-1} log P(s_{t+1} | s_t,"
                    " a_t) )   by linearity\n" + POLICY_ONLY + "   by theta-independence\n" + GOAL_RHS + "   by linearity\n",
    "correct-unjustified": START + SPLIT + "\n" + POLICY_ONLY + "\n" + GOAL_RHS + "\n",
    "correct-gradient-first": START + "  = ∇_θ log ρ0(s_0) + sum_{t=0}^{T-1} ∇_θ log π_θ(a_t | s_t) + sum_{t=0}^{T-1}"
                              " ∇_θ log P(s_{t+1} | s_t, a_t)   by definition, log-product, linearity\n"
                              + GOAL_RHS + "   by theta-independence\n",
    "correct-without-rho0": START + "  = ∇_θ sum_{t=0}^{T-1} ( log π_θ(a_t | s_t) + log P(s_{t+1} | s_t, a_t) )"
                            "   by definition, log-product, theta-independence\n" + GOAL_RHS
                            + "   by theta-independence, linearity\n",
    # the catalogued mistakes that apply to the decomposition
    "policy-term-dropped-instead-of-dynamics": START + SPLIT + "   by definition, log-product\n"
                                               "  = sum_{t=0}^{T-1} ∇_θ log P(s_{t+1} | s_t, a_t)   by theta-independence\n",
    "log-of-product-as-product-of-logs": START + "  = ∇_θ ( log ρ0(s_0) prod_{t=0}^{T-1} log π_θ(a_t | s_t) log P(s_{t+1}"
                                         " | s_t, a_t) )   by definition, log-product\n" + GOAL_RHS
                                         + "   by theta-independence\n",
    "theta-dependent-term-treated-as-independent": "depends P on θ\n" + START + SPLIT + "   by definition, log-product\n"
                                                   + POLICY_ONLY + "   by theta-independence\n" + GOAL_RHS
                                                   + "   by exchange\n",
    "off-by-one-in-bounds": START + "  = ∇_θ ( log ρ0(s_0) + sum_{t=0}^{T} ( log π_θ(a_t | s_t) + log P(s_{t+1} | s_t,"
                            " a_t) ) )   by definition, log-product\n" + POLICY_ONLY + "   by theta-independence\n"
                            + GOAL_RHS + "   by exchange\n",
    "off-by-one-index-shift": START + SPLIT + "   by definition, log-product\n" + GOAL_RHS + "   by theta-independence\n"
                              "  = sum_{t=1}^{T} ∇_θ log π_θ(a_t | s_t)   by algebra\n",
    "grad-log-as-reciprocal-of-grad": START + SPLIT + "   by definition, log-product\n" + GOAL_RHS
                                      + "   by theta-independence\n"
                                      "  = sum_{t=0}^{T-1} 1 / ∇_θ π_θ(a_t | s_t)   by chain-rule\n",
    # a sign slip the gradient forgives (P does not depend on θ): valid, with a wrong justification
    "sign-slip-under-the-gradient": START + "  = ∇_θ ( log ρ0(s_0) + sum_{t=0}^{T-1} ( log π_θ(a_t | s_t) - log P(s_{t+1}"
                                   " | s_t, a_t) ) )   by definition, log-product\n" + GOAL_RHS
                                   + "   by theta-independence\n",
    # unreadable
    "unclosed-bracket": START + SPLIT[:-2] + "   by definition, log-product\n" + GOAL_RHS + "   by theta-independence\n",
}


INDEX = re.compile(r"(?<![A-Za-z])t(?![A-Za-z])")
TERMS = ("log π_θ(a_t | s_t) + log P(s_{t+1} | s_t, a_t)", "log P(s_{t+1} | s_t, a_t) + log π_θ(a_t | s_t)")


def written(kind: str, variant: int) -> str:
    """Template ``kind`` as student ``variant`` writes it: which letter names time, which term comes first,
    how the operators are spaced."""
    body = TEMPLATES[kind]
    if (variant // 3) % 2:
        body = body.replace(TERMS[0], TERMS[1])
    if (variant // 6) % 2:
        body = body.replace(" + ", "  +  ").replace(" | ", "|")
    return INDEX.sub("tkj"[variant % 3], body)


def write_class(folder: Path, count: int) -> None:
    kinds = list(TEMPLATES)
    for i in range(count):
        kind = kinds[i % len(kinds)]
        text = f"# student {i:04d}: {kind}\n" + written(kind, i // len(kinds))
        (folder / f"student{i:04d}.pgv").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--jobs", type=int, nargs="+", default=sorted({1, min(2, default_workers())}),
                        help="graded once per number of workers given (default: 1 and 2)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of 12 submissions (the tests use it)")
    args = parser.parse_args()
    if args.quick:
        args.submissions = min(args.submissions, 12)

    assignment = load_assignment(ASSIGNMENT)
    runs: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        write_class(Path(tmp), args.submissions)
        submissions = collect(Path(tmp))
        for n, jobs in enumerate(args.jobs):
            last = n == len(args.jobs) - 1   # the last run fills the cache
            started = time.perf_counter()
            grades = grade_class(assignment, submissions,
                                 GradeOptions(jobs=jobs, cache_dir=Path(cache) if last else None))
            runs.append((f"{jobs} worker{'s' if jobs > 1 else ''}", time.perf_counter() - started))
        started = time.perf_counter()
        again = grade_class(assignment, submissions, GradeOptions(jobs=args.jobs[-1], cache_dir=Path(cache)))
        runs.append(("from the cache", time.perf_counter() - started))
        same = again.records == grades.records
        shared = sum(1 for _ in (Path(cache) / "steps").rglob("*.json"))

    by_kind: dict[str, Counter] = {}
    for i, record in enumerate(grades.records):  # student{i:04d} sorts by i
        kind = list(TEMPLATES)[i % len(TEMPLATES)]
        outcome = (record["status"], record["score"], record["first_error"],
                   ",".join(d["name"] for d in record["diagnoses"][:1]) or "-")
        by_kind.setdefault(kind, Counter())[outcome] += 1
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    for what, seconds in runs:
        print(f"{len(grades.records)} submissions in {seconds:6.2f} s, {what}:"
              f" {len(grades.records) / seconds:7.1f} submissions per second")
    if len(runs) >= 3:
        print(f"speed-up of {args.jobs[-1]} workers over {args.jobs[0]}: {runs[0][1] / runs[-2][1]:.2f}×")
    graded_steps = sum(len(r["steps"]) for r in grades.records)
    print(f"{graded_steps} steps graded; {shared} results (of steps, goals and comparisons) checked once and"
          f" shared between the workers")
    print(f"the cached re-grade gives the same records: {'yes' if same else 'NO'}"
          f" ({again.from_cache} of {len(again.records)} from the cache)")
    print(f"peak memory: {own:.0f} MiB in this process, {workers:.0f} MiB in the largest worker")
    print(f"targets: 1,000 in under {TARGET_SECONDS:.0f} s with 2 workers on 2 cores, a cached re-grade under"
          f" {TARGET_CACHED_SECONDS:g} s")
    print("\noutcome per template (status, score, first error, first mistake named):")
    for kind, outcomes in by_kind.items():
        for (status, score, first_error, named), n in sorted(outcomes.items()):
            print(f"  {n:>4}  {kind:<45} {status:<12} score {score:<4} first error {first_error:<3} {named}")


if __name__ == "__main__":
    main()
