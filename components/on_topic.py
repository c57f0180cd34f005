"""An on-topic question the classifier can't place gets the honest gap answer, not a bare "did you mean".

Rasa's FallbackClassifier turns every unsure prediction into `nlu_fallback`, and the two-stage fallback
then asks "did you mean…?". For a message that is clearly about Botox or fillers (it names a treatment,
a face area or a topic the article doesn't cover) that is the wrong answer to a clear question: the
patient is told instead that the article doesn't cover it, with the likeliest topics as buttons and
the referral (actions/actions.py). Messages with none of these still get "did you mean…?".

A courtesy (thanks, goodbye…) is a courtesy only in a short message: "…I can't leave the house. Please
help. Thanks" is a question, and "You're welcome!" no answer to it. A longer one is treated as unsure.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.untrained import UntrainedComponent
from contract import COURTESY_INTENTS, FALLBACK_INTENT, NOT_COVERED_INTENT

ON_TOPIC_ENTITIES = {"treatment", "area", "gap_topic"}
# the longest courtesy people write ("thank you so much for all your help, that was really useful")
COURTESY_WORDS = 12


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OnTopicGap(UntrainedComponent):
    """Turns `nlu_fallback` into `ask_not_covered` for a message about Botox or fillers.

    A long message the classifier calls a courtesy becomes `nlu_fallback` first.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        """Replaces a fallback on an on-topic message; keeps the ranking for the topic buttons."""
        for message in messages:
            intent = message.get(INTENT) or {}
            if (
                intent.get("name") in COURTESY_INTENTS
                and len((message.get(TEXT) or "").split()) > COURTESY_WORDS
            ):
                intent = {"name": FALLBACK_INTENT, "confidence": intent.get("confidence", 0.0)}
                message.set(INTENT, intent, add_to_output=True)
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
