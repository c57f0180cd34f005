"""Redaction of personal details in patient text with Microsoft Presidio, and keyed pseudonyms.

Presidio's analyzer finds the details with its own pattern recognizers (dates, phone numbers through
`phonenumbers`, credit cards, NHS and social security numbers, IBANs, IP addresses, Medicare numbers)
and the clinic's (review/pii_recognizers.yml: emails, addresses and postcodes, ID-like codes, calendar
dates and names where patients give them); its anonymizer replaces each with a placeholder like
[name]. It runs on spaCy's blank English pipeline: tokens only, no model to download.

A name with no cue before it ("… and Samuel Okafor said …") is found as a capitalised word that is
neither English (WordNet's words, which spaCy's lookups data ship), nor a drug (drug-named-entity-
recognition's dictionary), nor a treatment, product or face area the assistant knows
(knowledge/entity_patterns.yml).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import hmac
import importlib.resources
import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import regex
import spacy
import yaml
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    AuMedicareRecognizer,
    CreditCardRecognizer,
    DateRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

from contract import PROJECT_ROOT
from review.config import check_pseudonym_key

RECOGNIZERS = Path(__file__).resolve().parent / "pii_recognizers.yml"
# the treatments, products and face areas the assistant knows: never a person's name
ENTITY_PATTERNS = PROJECT_ROOT / "knowledge" / "entity_patterns.yml"
# the countries whose phone numbers the clinic's patients are likeliest to type
PHONE_REGIONS = ("US", "GB", "IE", "CA", "AU", "NZ", "DE", "FR", "ES", "IT", "NL")
# Presidio's scores run from 0 to 1; its weakest patterns (a bare "3/85" as a date) stay below this
SCORE_THRESHOLD = 0.35
PLACEHOLDERS = {
    "PERSON": "[name]",
    "DATE_TIME": "[date]",
    "PHONE_NUMBER": "[phone]",
    "EMAIL_ADDRESS": "[email]",
    "LOCATION": "[address]",
}
ANY_OTHER = "[id]"


@Language.component("lower_case_lemmas")
def lower_case_lemmas(doc):  # type: ignore[no-untyped-def]
    """Presidio raises a score when a context word ("born", "phone") is near; it compares lemmas."""
    for token in doc:
        token.lemma_ = token.lower_
    return doc


class BlankSpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine on the blank English pipeline (Presidio would load en_core_web_lg)."""

    def __init__(self) -> None:  # noqa: D107
        nlp = spacy.blank("en")
        nlp.add_pipe("lower_case_lemmas")
        self.nlp = {"en": nlp}


def _joined(regex: str | List[str]) -> str:
    return "".join(regex) if isinstance(regex, list) else regex


def _clinic_recognizers() -> List[PatternRecognizer]:
    """The recognizers of review/pii_recognizers.yml; a regex given as a list is its parts joined."""
    found = []
    for spec in yaml.safe_load(RECOGNIZERS.read_text(encoding="utf-8"))["recognizers"]:
        patterns = [Pattern(p["name"], _joined(p["regex"]), p["score"]) for p in spec["patterns"]]
        found.append(
            PatternRecognizer(
                supported_entity=spec["supported_entity"],
                name=spec["name"],
                supported_language=spec["supported_language"],
                patterns=patterns,
                context=spec.get("context"),
            )
        )
    return found


@functools.lru_cache(maxsize=None)
def _engines() -> tuple[AnalyzerEngine, AnonymizerEngine]:
    """Built once per process: compiling the recognizers takes a moment."""
    registry = RecognizerRegistry()
    for recognizer in (
        AuMedicareRecognizer(),
        CreditCardRecognizer(),
        DateRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS),
        NhsRecognizer(),
        UsSsnRecognizer(),
        *_clinic_recognizers(),
        UnknownWordNameRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=BlankSpacyEngine(), supported_languages=["en"])
    return analyzer, AnonymizerEngine()


@functools.lru_cache(maxsize=None)
def _medical_words() -> frozenset[str]:
    """The treatments, products and face areas the assistant knows, and drug names.

    The drug names (brand and generic) come from drug-named-entity-recognition's dictionary: "I'm on
    Accutane" names a drug, not a person.
    """
    patterns = yaml.safe_load(ENTITY_PATTERNS.read_text(encoding="utf-8"))
    phrases = [p for entity in ("treatment", "area") for values in patterns[entity].values() for p in values]
    from drug_named_entity_recognition.drugs_finder import d as drugs  # loads its dictionary: ~2 s, once

    names = (name for name in drugs["drug_variant_to_canonical"] if name.isalpha() and len(name) > 3)
    return frozenset([word for phrase in phrases for word in phrase.lower().split()] + list(names))


def _is_medical(text: str) -> bool:
    return any(word.strip("'’.,") in _medical_words() for word in text.lower().split())


@functools.lru_cache(maxsize=None)
def _english_words() -> frozenset[str]:
    """WordNet's English words and their forms, from spacy-lookups-data's lemma tables."""
    data = importlib.resources.files("spacy_lookups_data") / "data"
    words: set[str] = set()
    for name in ("en_lemma_lookup.json.gz", "en_lemma_index.json.gz", "en_lemma_exc.json.gz"):
        with gzip.open(str(data / name), "rt", encoding="utf-8") as table:
            words.update(_strings(json.load(table)))
    return frozenset(w.lower() for w in words)


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


# a run of capitalised words: "Samuel Okafor"
CAPITALISED_RUN = regex.compile(r"\b\p{Lu}[\p{Ll}'’-]+(?:\s+\p{Lu}[\p{Ll}'’-]+)*\b")


def _is_unknown(word: str) -> bool:
    """Neither English nor medical.

    A possessive never counts: "Raynaud's" and "Hashimoto's" are conditions, and a name in the
    possessive rarely stands without a cue.
    """
    base = regex.sub(r"['’](?:m|re|ve|ll|d)$", "", word.lower())
    return not (
        base.endswith(("'s", "’s"))
        or len(base) < 2
        or base in STOP_WORDS
        or base in _english_words()
        or base in _medical_words()
        or any(part in _english_words() | _medical_words() for part in base.split("-") if len(part) > 3)
    )


class UnknownWordNameRecognizer(EntityRecognizer):
    """A run of capitalised words with one neither English nor medical: a name, as patients write them."""

    def __init__(self) -> None:  # noqa: D107
        super().__init__(
            supported_entities=["PERSON"], name="unknown capitalised word", supported_language="en"
        )

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(
        self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None
    ) -> List[RecognizerResult]:
        """Each run's words from its first unknown one to its last, with the known words between them."""
        found = []
        for run in CAPITALISED_RUN.finditer(text):
            words = list(regex.finditer(r"\S+", run.group()))
            unknown = [w for w in words if _is_unknown(w.group())]
            if not unknown:
                continue
            # a known first name before an unknown surname belongs to it ("Samuel Okafor")
            first = next(
                (w for w in words if not (w.group().lower() in STOP_WORDS or _is_medical(w.group()))),
                unknown[0],
            )
            start, end = run.start() + min(first.start(), unknown[0].start()), run.start() + unknown[-1].end()
            found.append(RecognizerResult("PERSON", start, end, 0.6))
        return found


def _operators(entities: List[str]) -> Dict[str, OperatorConfig]:
    return {e: OperatorConfig("replace", {"new_value": PLACEHOLDERS.get(e, ANY_OTHER)}) for e in entities}


def redact(text: str) -> str:
    """Returns `text` with personal details replaced by placeholders like [name] or [date]."""
    if not text:
        return text
    analyzer, anonymizer = _engines()
    found = [
        result
        for result in analyzer.analyze(text=text, language="en", score_threshold=SCORE_THRESHOLD)
        if not (result.entity_type == "PERSON" and _is_medical(text[result.start : result.end]))
    ]
    if not found:
        return text
    operators = _operators(sorted({r.entity_type for r in found}))
    return anonymizer.anonymize(text=text, analyzer_results=found, operators=operators).text  # type: ignore[arg-type]


def pseudonym(sender_id: str, key: bytes) -> str:
    """A stable stand-in for a conversation id (which may be an email or a phone number).

    A keyed HMAC: without the key nobody can test guesses against it, as they could against a plain hash.
    """
    digest = hmac.new(check_pseudonym_key(key), sender_id.encode(), hashlib.sha256).hexdigest()
    return "conversation-" + digest[:20]
