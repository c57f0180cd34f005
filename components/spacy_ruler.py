"""spaCy, without a downloadable model: tokenisation and rule-based entities from `spacy.blank`."""

from __future__ import annotations

from typing import Any, Dict, List, Text, cast

import scipy.sparse
import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.pipeline import EntityRuler

from components.knowledge_file import KnowledgeFileComponent
from components.typography import straight_apostrophes
from contract import PRODUCT_KEY, SIDE_EFFECT_CARE, product_names

# Values the classifier sees as another: another procedure decides by rule whether a question is on
# topic (components/on_topic.py); as a feature of its own it taught the classifier that any message
# naming one is off topic, an emergency after "a liquid nose job" included.
FEATURED_AS = {("gap_topic", "procedure"): ("gap_topic", "other")}
# Values the classifier doesn't see: "can it be fixed?" asks how a side effect is put right when a side
# effect is told, and of a treatment otherwise ("how can I treat thinning lips?"); as a gap feature it
# made such questions read as ones the article doesn't cover.
NOT_FEATURED = {("gap_topic", SIDE_EFFECT_CARE)}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BlankSpacyTokenizer(Tokenizer):
    """Tokenises with spaCy's rule-based tokenizer for a language, no statistical model needed."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns Rasa's tokenizer options plus the spaCy `language` code."""
        return {
            "language": "en",
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Creates the tokenizer."""
        super().__init__(config)
        self._nlp = spacy.blank(self._config["language"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BlankSpacyTokenizer:
        """Creates the tokenizer."""
        return cls({**cls.get_default_config(), **config})

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Splits the attribute's text into spaCy tokens, dropping white space; apostrophes made plain."""
        doc = self._nlp.make_doc(straight_apostrophes(message.get(attribute) or ""))
        tokens = [Token(token.text, token.idx) for token in doc if token.text.strip()]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=True,
)
class SpacyEntityRuler(KnowledgeFileComponent, EntityExtractorMixin):
    """Tags entities with spaCy's EntityRuler from phrase lists, giving each its canonical value.

    The rules file maps entity -> canonical value -> phrases (see knowledge/entity_patterns.yml). A
    treatment named by a product ("Juvederm", written with capitals there) is marked `product`. What
    it finds also becomes sparse features for the intent classifier: a question that names a gap topic
    ("pregnant", "units") or a face area says a lot about what is asked.
    """

    def _build(self, rules: Dict[str, Any]) -> None:
        self._nlp = spacy.blank("en")
        ruler = cast(EntityRuler, self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}))
        ruler.add_patterns(
            [
                {"label": entity, "pattern": phrase, "id": value}
                for entity, values in rules.items()
                for value, phrases in values.items()
                for phrase in phrases
            ]
        )
        # one feature per entity type and one per canonical value, and one for "no entity at all":
        # a question that names no treatment, area or gap is more likely off-topic
        names = [(None, None)] + [(entity, None) for entity in rules]
        names += [(entity, value) for entity, values in rules.items() for value in values]
        names = [name for name in names if name not in NOT_FEATURED]
        self._feature_index = {name: i for i, name in enumerate(names)}
        self._products = product_names(
            phrase for phrases in rules.get("treatment", {}).values() for phrase in phrases
        )

    def _find(self, text: str) -> List[Dict[str, Any]]:
        found = []
        for span in self._nlp(straight_apostrophes(text)).ents:
            entity = {
                "entity": span.label_,
                "start": span.start_char,
                "end": span.end_char,
                "value": span.ent_id_,
                "confidence_entity": 1.0,
            }
            if span.label_ == "treatment" and span.text.lower() in self._products:
                entity[PRODUCT_KEY] = True
            found.append(entity)
        return found

    def _add_features(self, message: Message, found: List[Dict[str, Any]]) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT], [])
        if not tokens:
            return
        sequence = scipy.sparse.lil_matrix((len(tokens), len(self._feature_index)))
        sentence = scipy.sparse.lil_matrix((1, len(self._feature_index)))
        found = [entity for entity in found if (entity["entity"], entity["value"]) not in NOT_FEATURED]
        if not found:
            sentence[0, self._feature_index[(None, None)]] = 1
        for entity in found:
            value = (entity["entity"], entity["value"])
            for name in ((entity["entity"], None), FEATURED_AS.get(value, value)):
                column = self._feature_index.get(name)
                if column is None:
                    continue
                sentence[0, column] = 1
                for row, token in enumerate(tokens):
                    if token.start < entity["end"] and token.end > entity["start"]:
                        sequence[row, column] = 1
        origin = self.__class__.__name__
        message.add_features(Features(sequence.tocoo(), FEATURE_TYPE_SEQUENCE, TEXT, origin))
        message.add_features(Features(sentence.tocoo(), FEATURE_TYPE_SENTENCE, TEXT, origin))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Adds the entity features to the training examples (their annotations stay as written)."""
        for example in training_data.training_examples:
            if example.get(TEXT):
                self._add_features(example, self._find(example.get(TEXT)))
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the entities found in each message's text, and their features."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self._find(text)
            self._add_features(message, found)
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages


def annotate(text: str, ruler: SpacyEntityRuler) -> str:
    """Returns `text` with Rasa's inline entity annotations for what the ruler finds.

    The one place that says how the patterns annotate text: `make annotate` (scripts/annotate_nlu.py)
    re-annotates the training data with it, and the review app's training export annotates corrections.
    """
    message = ruler.process([Message(data={"text": text})])[0]
    annotated, position = "", 0
    for entity in sorted(message.get("entities", []), key=lambda e: e["start"]):
        words = text[entity["start"] : entity["end"]]
        annotated += text[position : entity["start"]]
        if words == entity["value"]:
            annotated += f"[{words}]({entity['entity']})"
        else:
            annotated += f'[{words}]{{"entity": "{entity["entity"]}", "value": "{entity["value"]}"}}'
        position = entity["end"]
    return annotated + text[position:]
