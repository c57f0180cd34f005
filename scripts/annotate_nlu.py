"""Rewrites the entity annotations in data/nlu.yml and tests/test_stories.yml to what the ruler finds.

The staff corrections exported to data/review_corrections.yml (`python -m review export-training`), if
any, are re-annotated too.

Run it (`make annotate`) after editing knowledge/entity_patterns.yml or adding examples: the examples
are then annotated exactly as the SpacyEntityRuler tags them at run time, which tests/test_nlu_data.py
checks. Only intent examples and test-story user messages change; everything else stays as written.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from components.spacy_ruler import SpacyEntityRuler, annotate
from contract import PROJECT_ROOT
from review import training

NLU = PROJECT_ROOT / "data" / "nlu.yml"
TEST_STORIES = PROJECT_ROOT / "tests" / "test_stories.yml"
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def reannotate(path: Path, is_example_line, prefix: str, ruler: SpacyEntityRuler) -> None:
    """Re-annotates, in place, the lines of `path` that `is_example_line(previous, line)` picks."""
    lines, previous = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if is_example_line(previous, line):
            line = prefix + annotate(ANNOTATION.sub(r"\1", line[len(prefix) :]), ruler)
        lines.append(line)
        previous = line if line.startswith("- ") or line.startswith("  - ") else previous
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Re-annotates the NLU examples and the test stories' user messages."""
    patterns = yaml.safe_load(
        (PROJECT_ROOT / "knowledge" / "entity_patterns.yml").read_text(encoding="utf-8")
    )
    ruler = SpacyEntityRuler({}, None, None, patterns)
    reannotate(
        NLU, lambda block, line: block.startswith("- intent:") and line.startswith("    - "), "    - ", ruler
    )
    reannotate(
        TEST_STORIES,
        lambda step, line: step == "  - user: |" and line.startswith("      "),
        "      ",
        ruler,
    )
    if training.DEFAULT_OUT.exists():
        training.reannotate(training.DEFAULT_OUT)


if __name__ == "__main__":
    main()
