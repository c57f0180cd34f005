"""Messages that ask more than one thing, or tell a story before they ask.

The intent classifier reads a message whole. A message with two questions ("What are fillers and how do
they work?") splits its confidence between their topics, and a story before the question ("I get Botox
a few times a year and this round wore off early… is that normal?") buries the question's words in the
story's. So each question part of such a message is classified on its own too:

- `QuestionSplitter`, first in the pipeline, adds the message's question parts to the messages the
  pipeline processes, so that they are tokenized, featurized and classified like any message;
- `QuestionParts`, after the classifiers, takes their readings back: the topics the parts ask, in the
  order asked, the first as the intent and the others as `other_questions`, which the answer action
  answers after it (actions/actions.py), saying first when a part asks what the article doesn't
  cover. The whole message's topic stays first when a part asks it too, or when a part that names no
  topic of its own may be asking it ("can I get lip filler and where else?": "where else" alone reads
  as off-topic, the whole message asks where).

A part the classifier is unsure of says nothing, and when no part names a topic the whole message's
reading stands. Only a topic, an unsure reading or a courtesy ("hi! how long does Botox last?") gives
way to the parts': a red flag, a booking or an off-topic message read from the whole stays what it is.
"""

from __future__ import annotations

import re
from typing import Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.untrained import UntrainedComponent
from contract import (
    COURTESY_INTENTS,
    FALLBACK_INTENT,
    NOT_COVERED_INTENT,
    OTHER_QUESTIONS_KEY,
    TOPIC_INTENT_PREFIX,
)

QUESTION_START = (
    r"(?:what|what's|whats|how|when|where|which|why|who|can|could|do|does|did|is|are|will|would|should|any)"
)
# a question ends with "?" or opens with a question word; "and how…", "also, is…" start another
PARTS = re.compile(
    rf"(?<=[?.!])\s+|\s*(?:,?\s*\b(?:and|also|plus|&)\b,?)\s+(?={QUESTION_START}\b)", re.IGNORECASE
)
OPENS_A_QUESTION = re.compile(rf"^(?:and\s+|also\s+|so\s+|but\s+)?{QUESTION_START}\b", re.IGNORECASE)
# marks a question part among the messages the pipeline processes; parts never leave the pipeline
PART_KEY = "question_part"


def question_parts(text: str) -> List[str]:
    """The parts of a message that ask something."""
    parts = [p.strip() for p in PARTS.split(text or "") if p and p.strip()]
    return [p for p in parts if p.endswith("?") or OPENS_A_QUESTION.match(p)]


def _topic(message: Message) -> str | None:
    """The topic intent a message was classified as, or None (unsure, a gap, or no question)."""
    name = (message.get(INTENT) or {}).get("name") or ""
    return name if name.startswith(TOPIC_INTENT_PREFIX) and name != NOT_COVERED_INTENT else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionSplitter(UntrainedComponent):
    """Adds the question parts of a message that has several, or words besides its one question."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Each message, followed by its question parts when they are not the message itself."""
        processed = []
        for message in messages:
            processed.append(message)
            text = (message.get(TEXT) or "").strip()
            parts = question_parts(text)
            if parts and parts != [text]:
                processed += [Message(data={TEXT: part, PART_KEY: True}) for part in parts]
        return processed

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples are learnt whole."""
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionParts(UntrainedComponent):
    """Reads the topics a message asks from its question parts, and takes the parts out again."""

    def process(self, messages: List[Message]) -> List[Message]:
        """The messages without their parts, each with the topics its parts ask."""
        parts: Dict[int, List[Message]] = {}
        asked: List[Message] = []
        for message in messages:
            if message.get(PART_KEY):
                parts.setdefault(id(asked[-1]), []).append(message)
            else:
                asked.append(message)
        for message in asked:
            self._read_parts(message, parts.get(id(message), []))
        return asked

    @staticmethod
    def _read_parts(message: Message, parts: List[Message]) -> None:
        intent = message.get(INTENT) or {}
        name = intent.get("name")
        if name not in (None, FALLBACK_INTENT, NOT_COVERED_INTENT, *COURTESY_INTENTS) and not _topic(message):
            return  # a red flag, a booking, an off-topic message: the whole message says what it is
        topics: List[str] = []
        confidence: Dict[str, float] = {}
        # a part that names no topic of its own ("where else", read alone as off-topic) may be asking
        # the whole message's
        unnamed = any(_topic(part) is None for part in parts)
        for part in parts:
            topic = _topic(part)
            if topic and topic not in topics:
                topics.append(topic)
                confidence[topic] = (part.get(INTENT) or {}).get("confidence", 0.0)
        if not topics:
            return
        if _topic(message) and (name in topics or unnamed):
            first = name
        else:
            first = topics[0]
            if first != name:
                message.set(INTENT, {"name": first, "confidence": confidence[first]}, add_to_output=True)
        others = [topic for topic in topics if topic != first]
        # a part the article doesn't cover ("and will it make me look worse in the years ahead?") is
        # listed too, so that the answer says so
        if any((part.get(INTENT) or {}).get("name") == NOT_COVERED_INTENT for part in parts):
            others.append(NOT_COVERED_INTENT)
        if others:
            message.set(OTHER_QUESTIONS_KEY, others, add_to_output=True)
