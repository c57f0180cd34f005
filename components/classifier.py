"""The intent classifier: Rasa's logistic regression over weighted, normalised feature blocks."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Set

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import (
    ENTITIES,
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.preprocessing import normalize

_WEIGHTS_FILE = "block_weights.npz"
_VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """Logistic regression over the sparse features; fast to train and to run on a small FAQ set.

    Rasa's classifier concatenates the raw counts of every featurizer, so the thousands of character
    n-grams of a long message drown the few entity and keyword features. Here each featurizer's block
    is weighted like TF-IDF (log counts times inverse document frequency, learnt in training) and
    scaled to unit length, so every block counts the same for every message.

    A message with no word seen in training, no entity and no keyword hint ("blorf snazzle", or
    empty: Rasa's classifier would fail on it) gets no intent and zero confidence, which the
    FallbackClassifier turns into `nlu_fallback`: the patient is asked "did you mean…?" instead of being told
    confidently that the question is off-topic.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Rasa's options plus the inverse regularisation strength `C`."""
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self,
        config: Dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        """Creates the classifier; block weights and vocabulary come with training or loading."""
        super().__init__(config, name, model_storage, resource)
        self.clf.C = self.config["C"]
        self._idf: Dict[str, np.ndarray] = {}
        self._vocabulary: Set[str] = set()
        self._hints: List[re.Pattern] = []

    @staticmethod
    def _words(message: Message) -> Set[str]:
        return {token.text.lower() for token in message.get(TOKENS_NAMES[TEXT], [])}

    @staticmethod
    def _blocks(messages: List[Message]) -> Dict[str, scipy.sparse.csr_matrix]:
        """Each featurizer's sentence features for the messages, one matrix per featurizer."""
        rows: Dict[str, list] = {}
        for message in messages:
            for feature in message.features:
                if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
                    continue
                if feature.is_sparse():
                    rows.setdefault(str(feature.origin), []).append(feature.features)
        return {origin: scipy.sparse.vstack(mats).tocsr() for origin, mats in sorted(rows.items())}

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        weighted = []
        for origin, counts in self._blocks(messages).items():
            block = counts.astype(float)
            # log-scaled counts times each column's weight, on the stored entries only (a diagonal
            # matrix of the whole vocabulary would be built for every message)
            block.data = np.log1p(block.data) * self._idf[origin][block.indices]
            weighted.append(normalize(block))
        return scipy.sparse.hstack(weighted).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        """Learns each block's inverse document frequencies, then the logistic regression."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        self._idf = {
            origin: np.log((1 + counts.shape[0]) / (1 + counts.getnnz(axis=0))) + 1
            for origin, counts in self._blocks(examples).items()
        }
        self._vocabulary = set().union(*(self._words(e) for e in examples))
        self._hints = [re.compile(r["pattern"], re.IGNORECASE) for r in training_data.regex_features]
        return super().train(training_data)

    def persist(self) -> None:
        """Stores the logistic regression (as Rasa does), the block weights and the known words and hints."""
        super().persist()
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / _WEIGHTS_FILE, **self._idf)
            known = {"words": sorted(self._vocabulary), "hints": [h.pattern for h in self._hints]}
            (directory / _VOCABULARY_FILE).write_text(json.dumps(known))

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentClassifier:
        """Loads the logistic regression, the block weights and the known words and hints."""
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        with model_storage.read_from(resource) as directory:
            if (directory / _WEIGHTS_FILE).exists():  # absent when there was nothing to train on
                with np.load(directory / _WEIGHTS_FILE) as weights:
                    component._idf = {origin: weights[origin] for origin in weights.files}
                known = json.loads((directory / _VOCABULARY_FILE).read_text())
                component._vocabulary = set(known["words"])
                component._hints = [re.compile(h, re.IGNORECASE) for h in known["hints"]]
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        """Predicts the intent of each message with a known word, an entity or a keyword hint."""
        worded = []
        for message in messages:
            text = message.get(TEXT) or ""
            known = self._words(message) & self._vocabulary or message.get(ENTITIES)
            if known or any(hint.search(text) for hint in self._hints):
                worded.append(message)
            else:
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if worded:
            super().process(worded)
        return messages
