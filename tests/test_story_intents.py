"""The test stories end to end: every patient line in tests/test_stories.yml, through the trained NLU.

`rasa test core` checks only the actions a story predicts, and most questions share one action
(action_answer_question), so a story whose "what is Botox?" is understood as a price question still
passes there. Here each `user:` text is parsed by the trained model and must get the story's intent
and the entities it marks.
"""

from __future__ import annotations

import re
from typing import List, Tuple

import pytest
import yaml
from rasa.core.agent import Agent

from contract import PROJECT_ROOT
from tests.harness import model, servers

ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


def labelled_lines() -> List[Tuple[str, str, List[Tuple[str, str]]]]:
    """(text, intent, [(entity, value)]) for every user step of the test stories."""
    stories = yaml.safe_load((PROJECT_ROOT / "tests" / "test_stories.yml").read_text(encoding="utf-8"))
    found = []
    for story in stories["stories"]:
        for step in story["steps"]:
            if "user" not in step:
                continue
            marked = step["user"].strip()
            entities = []
            for words, annotation in ANNOTATION.findall(marked):
                if annotation.startswith("("):
                    entities.append((annotation[1:-1], words))
                else:
                    spec = yaml.safe_load(annotation)
                    entities.append((spec["entity"], spec.get("value", words)))
            found.append((ANNOTATION.sub(r"\1", marked), step["intent"], sorted(entities)))
    return found


@pytest.fixture(scope="module")
def agent() -> Agent:
    return model.load(servers.MODEL)


@pytest.mark.parametrize("text, intent, entities", labelled_lines(), ids=lambda value: str(value)[:40])
def test_each_story_line_is_understood_as_labelled(agent, text, intent, entities):
    [parsed] = model.parse(agent, [text])
    assert parsed["intent"]["name"] == intent
    found = sorted((e["entity"], e["value"]) for e in parsed["entities"] if e["entity"] in dict(entities))
    assert found == entities
