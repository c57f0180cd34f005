"""An on-topic question the classifier can't place gets the honest gap answer, not a bare "did you mean".

Rasa's FallbackClassifier turns every unsure prediction into `nlu_fallback`, and the two-stage fallback
then asks "did you mean…?". For a message that is clearly about Botox or fillers (it names a treatment,
a face area or a topic the article doesn't cover) that is the wrong answer to a clear question: the
patient is told instead that the article doesn't cover it, then the card of the topic the classifier
leans to (at 0.3 or more), else the likeliest topics as buttons, and the referral (actions/actions.py).
Messages with none of these still get "did you mean…?".

A courtesy (thanks, goodbye…) is a courtesy only in a short message: "…I can't leave the house. Please
help. Thanks" is a question, and "You're welcome!" no answer to it. A longer one is treated as unsure.

A question about another procedure alone ("how long do cheek implants last?", "does a thread lift
hurt?") is off topic, however sure the classifier is of its topic: the article's cards are about Botox and
fillers. Named beside Botox or fillers ("I had Sculptra last year, can I have a facelift?"), it is on
topic, however sure the classifier is that it isn't: a part of the question the article doesn't cover.
So is any message that names a topic the article doesn't cover ("what is your medical background?",
"what is a nurse-led clinic?"): on a clinic's site, a question about the treatment the article lacks.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.untrained import UntrainedComponent
from contract import (
    COURTESY_INTENTS,
    FALLBACK_INTENT,
    NOT_COVERED_INTENT,
    OUT_OF_SCOPE_INTENT,
    SIDE_EFFECT_CARE,
    TOPIC_INTENT_PREFIX,
)

ON_TOPIC_ENTITIES = {"treatment", "area", "gap_topic"}
# the entity of another procedure (knowledge/entity_patterns.yml): a peel, an implant, a thread lift…
OTHER_PROCEDURE = ("gap_topic", "procedure")
# the longest courtesy people write ("thank you so much for all your help, that was really useful")
COURTESY_WORDS = 12


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OnTopicGap(UntrainedComponent):
    """Turns `nlu_fallback` into `ask_not_covered` for a message about Botox or fillers.

    A long message the classifier calls a courtesy becomes `nlu_fallback` first; a question about
    another procedure becomes `out_of_scope` alone, `ask_not_covered` beside Botox or fillers; an
    off-topic reading of a message that names a topic the article doesn't cover becomes `ask_not_covered`.
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
            name = intent.get("name") or ""
            entities = message.get(ENTITIES) or []
            named = {e.get("entity") for e in entities}
            procedure = any((e.get("entity"), e.get("value")) == OTHER_PROCEDURE for e in entities)
            if procedure and "treatment" not in named:
                # a question (not a booking or a courtesy) about another procedure alone
                if name == FALLBACK_INTENT or name.startswith(TOPIC_INTENT_PREFIX):
                    message.set(INTENT, {**intent, "name": OUT_OF_SCOPE_INTENT}, add_to_output=True)
            elif name == OUT_OF_SCOPE_INTENT and any(
                e.get("entity") == "gap_topic" and e.get("value") != SIDE_EFFECT_CARE for e in entities
            ):
                # what the article doesn't cover of the treatments ("what is your medical background?",
                # "a nurse-led clinic?"), or another procedure beside Botox or fillers
                message.set(INTENT, {**intent, "name": NOT_COVERED_INTENT}, add_to_output=True)
            elif name == FALLBACK_INTENT and named & ON_TOPIC_ENTITIES:
                gap = {"name": NOT_COVERED_INTENT, "confidence": intent.get("confidence", 0.0)}
                ranking = [
                    r
                    for r in message.get(INTENT_RANKING_KEY, [])
                    if r["name"] not in (FALLBACK_INTENT, NOT_COVERED_INTENT)
                ]
                message.set(INTENT, gap, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [gap, *ranking], add_to_output=True)
        return messages
