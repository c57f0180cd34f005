"""Safety net for red-flag symptoms: pattern matches override whatever the classifier predicted."""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.knowledge_file import KnowledgeFileComponent

RED_FLAG_INTENT = "report_red_flag"
RED_FLAGS_KEY = "red_flags"


def normalise(text: str) -> str:
    """Lower-cases, straightens curly apostrophes and folds white space."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").lower().split())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RedFlagDetector(KnowledgeFileComponent):
    """Marks messages that mention a red-flag symptom, listing them under `red_flags`.

    Runs after the classifiers, so a red flag the model misses (or calls a fallback) still sets the
    intent to `report_red_flag`. The rules file is knowledge/red_flags.yml.
    """

    def _build(self, rules: Dict[str, Any]) -> None:
        self._flags = [
            (flag["id"], flag["label"], [re.compile(p, re.IGNORECASE) for p in flag["patterns"]])
            for flag in rules.get("red_flags", [])
        ]

    def detect(self, text: str) -> List[Dict[str, str]]:
        """Returns the red flags whose patterns match `text`, in file order."""
        text = normalise(text)
        return [
            {"id": flag_id, "label": label}
            for flag_id, label, patterns in self._flags
            if any(pattern.search(text) for pattern in patterns)
        ]

    def process(self, messages: List[Message]) -> List[Message]:
        """Overrides the intent of every message that names a red flag."""
        for message in messages:
            flags = self.detect(message.get(TEXT) or "")
            if not flags:
                continue
            red_flag = {"name": RED_FLAG_INTENT, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r["name"] != RED_FLAG_INTENT]
            message.set(INTENT, red_flag, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [red_flag, *ranking], add_to_output=True)
            message.set(RED_FLAGS_KEY, flags, add_to_output=True)
        return messages
