"""An on-topic question the classifier can't place gets the honest gap answer, not a bare "did you mean".

Rasa's FallbackClassifier turns every unsure prediction into `nlu_fallback`, and the two-stage fallback
then asks "did you mean…?". For a message that is clearly about Botox or fillers (it names a treatment,
a face area or a topic the article doesn't cover) that is the wrong answer to a clear question: the
patient is told instead that the article doesn't cover it, with the likeliest topics as buttons and
the referral (actions/actions.py). Messages with none of these still get "did you mean…?".
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from components.untrained import UntrainedComponent
from contract import FALLBACK_INTENT, NOT_COVERED_INTENT

ON_TOPIC_ENTITIES = {"treatment", "area", "gap_topic"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OnTopicGap(UntrainedComponent):
    """Turns `nlu_fallback` into `ask_not_covered` for a message about Botox or fillers."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Replaces a fallback on an on-topic message; keeps the ranking for the topic buttons."""
        for message in messages:
            intent = message.get(INTENT) or {}
            on_topic = any(e.get("entity") in ON_TOPIC_ENTITIES for e in message.get(ENTITIES) or [])
            if intent.get("name") == FALLBACK_INTENT and on_topic:
                gap = {"name": NOT_COVERED_INTENT, "confidence": intent.get("confidence", 0.0)}
                ranking = [
                    r
                    for r in message.get(INTENT_RANKING_KEY, [])
                    if r["name"] not in (FALLBACK_INTENT, NOT_COVERED_INTENT)
                ]
                message.set(INTENT, gap, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [gap, *ranking], add_to_output=True)
        return messages
