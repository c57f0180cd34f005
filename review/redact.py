"""Redaction of personal details in patient text with Microsoft Presidio, and keyed pseudonyms.

Presidio's analyzer finds the details with its own pattern recognizers (dates, phone numbers through
`phonenumbers`, credit cards, NHS and social security numbers, IBANs, IP addresses, Medicare numbers)
and the clinic's (review/pii_recognizers.yml: emails, addresses and postcodes, ID-like codes, calendar
dates and names where patients give them); its anonymizer replaces each with a placeholder like
[name]. It runs on spaCy's blank English pipeline: tokens only, no model to download.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from pathlib import Path
from typing import Dict, List

import spacy
import yaml
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine
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
from spacy.language import Language

from review.config import MIN_PSEUDONYM_KEY_LENGTH, PSEUDONYM_KEY_VARIABLE

RECOGNIZERS = Path(__file__).resolve().parent / "pii_recognizers.yml"
# the treatments, products and face areas the assistant knows: never a person's name
ENTITY_PATTERNS = Path(__file__).resolve().parent.parent / "knowledge" / "entity_patterns.yml"
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
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=BlankSpacyEngine(), supported_languages=["en"])
    return analyzer, AnonymizerEngine()


@functools.lru_cache(maxsize=None)
def _medical_words() -> frozenset[str]:
    patterns = yaml.safe_load(ENTITY_PATTERNS.read_text(encoding="utf-8"))
    phrases = [p for entity in ("treatment", "area") for values in patterns[entity].values() for p in values]
    return frozenset(word for phrase in phrases for word in phrase.lower().split())


def _is_medical(text: str) -> bool:
    return any(word.strip("'’.,") in _medical_words() for word in text.lower().split())


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


class MissingPseudonymKey(ValueError):
    """Redacted exports need a pseudonym key: without one, a pseudonym can be reversed by guessing."""

    def __init__(self) -> None:  # noqa: D107
        super().__init__(
            f"set {PSEUDONYM_KEY_VARIABLE} to a secret of {MIN_PSEUDONYM_KEY_LENGTH} characters or more "
            "(make run and make review keep one in var/pseudonym.key): redacted exports name "
            "conversations by a keyed pseudonym."
        )


def check_pseudonym_key(key: bytes) -> bytes:
    """Returns `key` when it is long enough to key pseudonyms; raises MissingPseudonymKey if not."""
    if len(key) < MIN_PSEUDONYM_KEY_LENGTH:
        raise MissingPseudonymKey()
    return key


def pseudonym(sender_id: str, key: bytes) -> str:
    """A stable stand-in for a conversation id (which may be an email or a phone number).

    A keyed HMAC: without the key nobody can test guesses against it, as they could against a plain hash.
    """
    digest = hmac.new(check_pseudonym_key(key), sender_id.encode(), hashlib.sha256).hexdigest()
    return "conversation-" + digest[:20]
