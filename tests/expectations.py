"""Read the `# expect:` comments of derivation files (LANGUAGE.md, "Expected verdicts")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The worked examples of the language contract (the seed derivation, its decomposition and a flawed
# decomposition), kept in proofs/ so that a clone has everything its tests read.
EXAMPLES = (ROOT / "proofs" / "seed" / "seed_policy_gradient.pgv",
            ROOT / "proofs" / "good" / "seed_decomposition.pgv",
            ROOT / "proofs" / "seed" / "seed_decomposition_flawed.pgv")
FLAWED_EXAMPLE = EXAMPLES[2]

VALID = {"proved", "checked"}
STEP = re.compile(r"#\s*expect:\s*(proved|checked|valid|refuted|unknown)(?:\s+justification=(\S+))?")
GOAL = re.compile(r"#\s*expect-goal:\s*(reached|not-reached)")


@dataclass(frozen=True)
class Expectations:
    steps: dict[int, tuple[str, str | None]]
    goals: dict[int, str]


def read(path: Path) -> Expectations:
    steps: dict[int, tuple[str, str | None]] = {}
    goals: dict[int, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if match := STEP.search(line):
            steps[number] = (match.group(1), match.group(2))
        if match := GOAL.search(line):
            goals[number] = match.group(1)
    return Expectations(steps, goals)


def verdict_matches(want: str, got: str) -> bool:
    return got in VALID if want == "valid" else got == want


def problems(path: Path, file_record: dict) -> list[str]:
    """Every way the report of one file disagrees with the file's `# expect:` comments."""
    want = read(path)
    got_steps = {s["line"]: s for d in file_record["derivations"] for s in d["steps"]}
    got_goals = {d["line"]: d["goal"] for d in file_record["derivations"]}
    out = []
    for line, (verdict, justification) in sorted(want.steps.items()):
        step = got_steps.get(line)
        if step is None:
            out.append(f"{path.name}:{line}: no step reported")
            continue
        if not verdict_matches(verdict, step["verdict"]):
            out.append(f"{path.name}:{line}: expected {verdict}, got {step['verdict']} ({step['message']})")
        if justification and step["justification"] != justification:
            out.append(f"{path.name}:{line}: justification expected {justification}, got {step['justification']}")
    for line, goal in sorted(want.goals.items()):
        if got_goals.get(line) != goal:
            out.append(f"{path.name}:{line}: goal expected {goal}, got {got_goals.get(line)}")
    for line in sorted(set(got_steps) - set(want.steps)):
        out.append(f"{path.name}:{line}: a step without an `# expect:` comment")
    return out
