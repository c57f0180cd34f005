"""The names the assistant and the review app share are spelled only in contract/ (issue 16)."""

from __future__ import annotations

import re

import pytest
import yaml

import contract
from actions import knowledge
from contract import PROJECT_ROOT

pytestmark = pytest.mark.unit

# the product, and the tool that writes conversations as the assistant would (the held-out sets' own
# labels, such as "out_of_scope" in scripts/answer_check.py, are another vocabulary)
SPEAKERS = ("actions", "channels", "components", "review", "stores", "scripts/seed_conversations.py")
SHARED = [
    contract.RED_FLAG_INTENT,
    contract.FALLBACK_INTENT,
    contract.NOT_COVERED_INTENT,
    contract.OUT_OF_SCOPE_INTENT,
    *contract.HANDOFF_INTENTS,
    contract.TOPIC_INTENT_PREFIX,
    contract.SYMPTOMS_MENTIONED_KEY,
    contract.OTHER_QUESTIONS_KEY,
    contract.ANSWER_FEEDBACK_SLOT,
    contract.HELPFUL_KEY,
    contract.ANSWER_AT_KEY,
]


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_name_is_spelled_only_in_the_contract(name):
    quoted = re.compile(rf"""["']{re.escape(name)}["']""")
    spelled = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for place in SPEAKERS
        for path in (
            [PROJECT_ROOT / place] if place.endswith(".py") else (PROJECT_ROOT / place).rglob("*.py")
        )
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if quoted.search(line)
    ]
    assert not spelled, spelled


def test_every_question_intent_has_a_topic_a_rule_and_an_answer():
    """Every ask_* intent is the gap intent or a topic with a card, and a rule answers it."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    ruled = {step["intent"] for rule in rules for step in rule["steps"] if "intent" in step}
    facts = knowledge.load()
    for intent in domain["intents"]:
        topic = contract.topic_of(intent)
        if topic is None:
            continue
        assert intent in ruled, intent
        assert intent == contract.NOT_COVERED_INTENT or any(f.topic == topic for f in facts.facts), intent
