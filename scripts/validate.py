"""`rasa data validate`, failing on every warning it prints but one kind that Rasa cannot judge.

python -m scripts.validate [FILE ...]   (data/, and NLU files elsewhere, e.g. an export of corrections)

Rasa's validator only sees rules and stories, so it warns that a response is unused when a custom
action utters it (`dispatcher.utter_message(response="utter_x")`), when components/rasa_patches.py
does, or when one of Rasa's own fallback actions does. This script lets exactly those responses
through, after checking that each really is uttered there, and fails on any other warning.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from contract import PROJECT_ROOT

# Responses uttered by Rasa's default actions (two-stage fallback) rather than by a rule.
UTTERED_BY_RASA = {"utter_ask_rephrase", "utter_default"}
UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule\.")
WARNING = re.compile(r"UserWarning: (.*)")


def uttered_by_actions() -> set[str]:
    """Returns the responses that the custom actions and the Rasa patches name (and so utter)."""
    code = [*(PROJECT_ROOT / "actions").glob("*.py"), *(PROJECT_ROOT / "components").glob("*.py")]
    source = "\n".join(p.read_text(encoding="utf-8") for p in code)
    return set(re.findall(r'"(utter_\w+)"', source))


def main(extra_data: Optional[List[str]] = None) -> int:
    """Runs the validator on data/ and `extra_data` (paths) and returns its verdict as an exit code."""
    data = ["--data", "data", *extra_data] if extra_data else []
    result = subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "data", "validate", *data],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    output = result.stdout + result.stderr
    allowed = uttered_by_actions() | UTTERED_BY_RASA
    problems = []
    for warning in WARNING.findall(output):
        unused = UNUSED.search(warning)
        if not (unused and unused.group(1) in allowed):
            problems.append(warning)
    for problem in problems:
        print(f"validate: {problem}", file=sys.stderr)
    if result.returncode != 0:
        print(output, file=sys.stderr)
    ok = result.returncode == 0 and not problems
    print("validate: data, domain and config are valid" if ok else "validate: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main([str(Path(path).resolve()) for path in sys.argv[1:]]))
