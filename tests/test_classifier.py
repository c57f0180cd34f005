"""The intent classifier, trained on real featurizer output, stored and loaded as Rasa does it."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.classifier import IntentClassifier
from components.spacy_ruler import BlankSpacyTokenizer

pytestmark = pytest.mark.unit

EXAMPLES = {
    "ask_duration": ["how long does botox last", "how long do fillers last", "does it wear off"],
    "ask_cost": ["how much is botox", "what do fillers cost", "price of botox please"],
    "greet": ["hi", "hello there", "good morning"],
}


@pytest.fixture
def trained(tmp_path):
    """A tokenizer, word and character featurizers and the classifier, trained and stored."""
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    data = TrainingData(
        [Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    )
    tokenizer = BlankSpacyTokenizer.create({}, storage, Resource("tokenizer"), context)
    featurizers = [
        CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **config},
            storage,
            Resource(name),
            ExecutionContext(GraphSchema({}), "test", node_name=name),
        )
        for name, config in [
            ("words", {}),
            ("chars", {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}),
        ]
    ]
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)
    config = {**IntentClassifier.get_default_config(), "C": 30}
    classifier = IntentClassifier.create(config, storage, Resource("classifier"), context)
    classifier.train(data)

    def featurize(text: str) -> Message:
        message = Message(data={"text": text})
        tokenizer.process([message])
        for featurizer in featurizers:
            featurizer.process([message])
        return message

    loaded = IntentClassifier.load(config, storage, Resource("classifier"), context)
    return classifier, loaded, featurize


def test_every_feature_block_has_unit_length_however_long_the_message(trained):
    classifier, _, featurize = trained
    short, long = featurize("botox?"), featurize("how long " * 40 + "does botox last")
    for message in (short, long):
        row = classifier._create_X([message]).toarray()[0]
        ends = np.cumsum([len(weights) for _, weights in sorted(classifier._idf.items())])
        blocks = np.split(row, ends[:-1])
        assert len(blocks) == 2
        assert [np.linalg.norm(block) for block in blocks] == pytest.approx([1.0, 1.0])


def test_the_stored_model_answers_like_the_trained_one(trained):
    classifier, loaded, featurize = trained
    for text in ["how long will my filler last", "how much does it cost", "hey"]:
        fresh, restored = classifier.process([featurize(text)]), loaded.process([featurize(text)])
        assert restored[0].get("intent") == fresh[0].get("intent")
    assert loaded.process([featurize("how long will my filler last")])[0].get("intent")["name"] == (
        "ask_duration"
    )


@pytest.mark.parametrize("text", ["   ", "blorf snazzle quux"])
def test_a_message_without_a_known_word_gets_no_intent(trained, text):
    _, loaded, featurize = trained
    message = loaded.process([featurize(text)])[0]
    assert message.get("intent") == {"name": None, "confidence": 0.0}
