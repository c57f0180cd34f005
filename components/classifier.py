"""The intent classifier: Rasa's logistic regression, made safe for messages with no words."""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """Logistic regression over the sparse features; fast to train and to run on a small FAQ set.

    Rasa's classifier fails on a message with no features (empty or white space only); such a
    message gets no intent and zero confidence instead, which the FallbackClassifier turns into
    `nlu_fallback`, so the patient is asked to rephrase.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        """Predicts the intent of each message that has words in it."""
        worded = []
        for message in messages:
            if (message.get(TEXT) or "").strip():
                worded.append(message)
            else:
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if worded:
            super().process(worded)
        return messages
