"""`pgverify grade` with an [implementation] assignment: .py submissions, parsed only, graded with the rubric."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgverify.grading.assignment import AssignmentError, parse

ROOT = Path(__file__).resolve().parent.parent

ASSIGNMENT = """\
title = "REINFORCE with reward-to-go"

[implementation]
function = "policy_loss"
bindings = ["log_probs[n, t] = log π_θ(a_t | s_t)", "rewards[n, t] = r(s_t, a_t)", "gamma = γ"]

[rubric]
valid_step = 1
goal_reached = 4
faulty_step = 0
"""

HEADER = "import numpy as np\n\n\ndef policy_loss(log_probs, rewards, gamma):\n    T = rewards.shape[1]\n" \
         "    discount = gamma ** np.arange(T)\n"
SUBMISSIONS = {
    "alice.py": HEADER + "    rtg = np.flip(np.cumsum(np.flip(discount * rewards, axis=1), axis=1), axis=1)\n"
                         "    return -(log_probs * rtg).sum(axis=1).mean()\n",
    "bob.py": HEADER + "    rtg = np.cumsum(discount * rewards, axis=1)\n"
                       "    return -(log_probs * rtg).sum(axis=1).mean()\n",
    "carol.py": "import pathlib\npathlib.Path('PWNED').write_text('ran')\n\n"
                "def policy_loss(log_probs, rewards, gamma):\n    while True:\n        pass\n",
    "dan.py": HEADER + "    rtg = np.flip(np.cumsum(np.flip(discount * rewards, axis=1), axis=1), axis=1)\n"
                       "    return (log_probs * rtg).sum(axis=1).mean()\n",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, Path]:
    root = tmp_path_factory.mktemp("impl-grade")
    (root / "a.toml").write_text(ASSIGNMENT, encoding="utf-8")
    (root / "subs").mkdir()
    for name, text in SUBMISSIONS.items():
        (root / "subs" / name).write_text(text, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "pgverify", "grade", "subs", "--assignment", "a.toml",
                           "--feedback", "fb", "--format", "json", "--no-cache", "--jobs", "1"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    records = {r["student"]: r for r in json.loads(done.stdout)["submissions"]}
    return records, root / "fb", root


def test_a_right_implementation_scores_full_marks(graded: tuple[dict, Path, Path]) -> None:
    alice = graded[0]["alice"]
    assert alice["score"] == alice["max_score"] == 5 and alice["goal"] == "reached"


def test_a_wrong_one_names_the_bug_and_its_line(graded: tuple[dict, Path, Path]) -> None:
    records, feedback, _ = graded
    bob = records["bob"]
    assert bob["score"] == 0 and bob["first_error"] == 0
    assert bob["steps"][0]["line"] == 7 and bob["steps"][0]["diagnosis"]["name"] == "past-rewards-included"
    text = (feedback / "bob.md").read_text(encoding="utf-8")
    assert "line 7" in text and "past-rewards-included" in text and "Hint:" in text
    assert "-∇_θ J is (" in text
    dan = records["dan"]
    assert dan["steps"][0]["diagnosis"]["name"] == "sign-flipped" and dan["score"] == 0


def test_a_submission_is_only_parsed(graded: tuple[dict, Path, Path]) -> None:
    records, _, root = graded
    assert not (root / "PWNED").exists() and not (root / "subs" / "PWNED").exists()
    carol = records["carol"]
    assert carol["status"] == "parse-error"
    assert "line 5, column 5" in carol["messages"][0] and "While" in carol["messages"][0]


@pytest.mark.parametrize(("table", "message"), [
    ('[implementation]\nbindings = []\n', "function must be the name"),
    ('[implementation]\nfunction = "f"\nbindings = ["x[n, t] = r(s)"]\n', "does not know the meaning"),
    ('[implementation]\nfunction = "f"\ngradient = "value"\n', "gradient must be one of"),
    ('[implementation]\nfunction = "f"\ncolour = 1\n', "unknown key 'colour'"),
])
def test_a_bad_implementation_table_is_an_assignment_error(table: str, message: str) -> None:
    with pytest.raises(AssignmentError, match=message):
        parse(('title = "t"\n' + table).encode())
