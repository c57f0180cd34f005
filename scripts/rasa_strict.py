"""Rasa's command line for `make evaluate`, scoring a fallback as the error it is.

Before scoring an NLU prediction, Rasa undoes the FallbackClassifier (rasa.nlu.test.get_eval_data), so a
message the assistant answered with "did you mean…?" counts as understood. Here it counts as predicted
`nlu_fallback` (or `ask_not_covered`, where components/on_topic.py turned it into the gap answer).
"""

from __future__ import annotations

from rasa.nlu.classifiers import fallback_classifier

from scripts import rasa_quietly


def keep_the_fallback(prediction: dict) -> dict:
    """The prediction as the assistant acted on it."""
    return prediction


if __name__ == "__main__":
    fallback_classifier.undo_fallback_prediction = keep_the_fallback
    rasa_quietly.main()
