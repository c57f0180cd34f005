"""Messages that ask more than one thing: "What are fillers and how do they work?".

The intent classifier gives a message one intent; a message with two questions splits its confidence
between their topics, so that often neither clears the fallback threshold and the patient is told the
article doesn't cover it. When a message has two or more question parts and the classifier's two
likeliest topics are, together, a confident reading, the likeliest becomes the intent and the others go
into `other_questions`, which the answer action answers after it (actions/actions.py).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.untrained import UntrainedComponent
from contract import FALLBACK_INTENT, NOT_COVERED_INTENT, OTHER_QUESTIONS_KEY, TOPIC_INTENT_PREFIX

QUESTION_START = (
    r"(?:what|what's|whats|how|when|where|which|why|who|can|could|do|does|did|is|are|will|would|should|any)"
)
# a question ends with "?" or opens with a question word; "and how…", "also, is…" start another
PARTS = re.compile(
    rf"(?<=[?.!])\s+|\s*(?:,?\s*\b(?:and|also|plus|&)\b,?)\s+(?={QUESTION_START}\b)", re.IGNORECASE
)
OPENS_A_QUESTION = re.compile(rf"^(?:and\s+|also\s+|so\s+|but\s+)?{QUESTION_START}\b", re.IGNORECASE)


def question_parts(text: str) -> List[str]:
    """The parts of a message that ask something."""
    parts = [p.strip() for p in PARTS.split(text or "") if p and p.strip()]
    return [p for p in parts if p.endswith("?") or OPENS_A_QUESTION.match(p)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OtherQuestions(UntrainedComponent):
    """Keeps the second (and third) topic a message with several questions asks."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """`second`: least confidence of another topic; `together`: least confidence of the top two."""
        return {"second": 0.08, "together": 0.5}

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets `other_questions` (and, when unsure, the intent) for messages with several questions."""
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            asked = len(question_parts(message.get(TEXT) or ""))
            if (
                asked < 2
                or intent not in (None, FALLBACK_INTENT, NOT_COVERED_INTENT)
                and not str(intent).startswith(TOPIC_INTENT_PREFIX)
            ):
                continue
            topics = sorted(
                (
                    r
                    for r in message.get(INTENT_RANKING_KEY, [])
                    if r["name"].startswith(TOPIC_INTENT_PREFIX) and r["name"] != NOT_COVERED_INTENT
                ),
                key=lambda r: -r["confidence"],
            )
            if len(topics) < 2 or topics[0]["confidence"] + topics[1]["confidence"] < self.config["together"]:
                continue
            others = [r["name"] for r in topics[1:asked] if r["confidence"] >= self.config["second"]]
            if not others:
                continue
            if intent in (None, FALLBACK_INTENT, NOT_COVERED_INTENT):
                message.set(INTENT, topics[0], add_to_output=True)
            message.set(OTHER_QUESTIONS_KEY, others, add_to_output=True)
        return messages
