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
import importlib.util
import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

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
    UrlRecognizer,
    UsSsnRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

from contract import PROJECT_ROOT, product_names
from review.config import check_pseudonym_key

RECOGNIZERS = Path(__file__).resolve().parent / "pii_recognizers.yml"
# the treatments, products and face areas the assistant knows: never a person's name
ENTITY_PATTERNS = PROJECT_ROOT / "knowledge" / "entity_patterns.yml"
# the countries whose phone numbers the clinic's patients are likeliest to type
PHONE_REGIONS = ("US", "GB", "IE", "CA", "AU", "NZ", "DE", "FR", "ES", "IT", "NL")
# languages whose month names patients write dates in: "14 de marzo de 1985", "3 septembre 1979",
# "12. Mai 1990" (English month names are review/pii_recognizers.yml's)
DATE_LANGUAGES = (
    "es", "fr", "de", "it", "pt", "nl", "pl", "tr", "ro", "sv", "da", "nb", "fi", "cs", "sk", "hu", "hr",
    "sl", "lt", "lv", "et", "ga", "id", "ms", "tl", "sw", "vi", "ru", "uk", "bg", "el", "ar", "fa", "ur",
    "hi",
)  # fmt: skip
# languages whose words are no name in a message written in them (spacy-lookups-data's lemma tables)
WORD_LANGUAGES = ("de", "es", "fr", "it", "pt", "nl", "tr")
# Presidio's scores run from 0 to 1; its weakest patterns (a bare "3/85" as a date) stay below this
SCORE_THRESHOLD = 0.35
PLACEHOLDERS = {
    "PERSON": "[name]",
    "DATE_TIME": "[date]",
    "PHONE_NUMBER": "[phone]",
    "EMAIL_ADDRESS": "[email]",
    "LOCATION": "[address]",
    "SOCIAL_HANDLE": "[handle]",
    "URL": "[link]",
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


@functools.lru_cache(maxsize=None)
def _clinic_rules() -> Dict[str, Any]:
    """review/pii_recognizers.yml: the recognizers, and the words that are no one's name."""
    return yaml.safe_load(RECOGNIZERS.read_text(encoding="utf-8"))


def _clinic_recognizers() -> List[PatternRecognizer]:
    """The recognizers of review/pii_recognizers.yml; a regex given as a list is its parts joined."""
    found = []
    for spec in _clinic_rules()["recognizers"]:
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


def _dates_in_other_languages() -> PatternRecognizer:
    """Dates with the month named in another language: CLDR's month names, as Babel ships them."""
    from babel.dates import get_month_names

    names = {
        name.lower()
        for language in DATE_LANGUAGES
        for months in (
            get_month_names("wide", "format", language),
            get_month_names("wide", "stand-alone", language),
        )
        for name in months.values()
    }
    months = "|".join(sorted((regex.escape(name) for name in names), key=len, reverse=True))
    day = r"(?:[12]\d|3[01]|0?[1-9])(?:\.|º|ª|er|e)?"
    year = r"(?:(?:19|20)\d{2}|['’]\d{2})"
    return PatternRecognizer(
        supported_entity="DATE_TIME",
        name="dates in other languages",
        supported_language="en",
        patterns=[
            Pattern(
                "day and month",
                rf"(?i)\b{day}\s+(?:de\s+)?(?:{months})\b\.?(?:,?\s+(?:de\s+)?{year}\b)?",
                0.8,
            ),
            Pattern("month and year", rf"(?i)\b(?:{months})\s+(?:de\s+)?{year}\b", 0.8),
        ],
    )


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
        UrlRecognizer(),
        *_clinic_recognizers(),
        _dates_in_other_languages(),
        UnknownWordNameRecognizer(),
        KnownNameRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=BlankSpacyEngine(), supported_languages=["en"])
    return analyzer, AnonymizerEngine()


@functools.lru_cache(maxsize=None)
def _entity_patterns() -> Dict[str, Dict[str, List[str]]]:
    """knowledge/entity_patterns.yml: entity -> value -> the phrases that name it."""
    return yaml.safe_load(ENTITY_PATTERNS.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _medical_words() -> frozenset[str]:
    """The treatments, products, face areas and one-word gap topics the assistant knows, and drug names.

    The drug names (brand and generic) come from drug-named-entity-recognition's dictionary: "I'm on
    Accutane" names a drug, not a person. A drug name that is also a person's ("Hana") is left out.
    """
    patterns = _entity_patterns()
    phrases = [p for entity in ("treatment", "area") for values in patterns[entity].values() for p in values]
    # the one-word gap topics too: "Hylenex", "anaesthesia" (not "don't like my": its words are no term)
    phrases += [p for values in patterns["gap_topic"].values() for p in values if " " not in p]
    from drug_named_entity_recognition.drugs_finder import d as drugs  # loads its dictionary: ~2 s, once

    # each word of a name of several ("tranexamic" of "tranexamic acid") that is no English word
    words = (
        word
        for name in drugs["drug_variant_to_canonical"]
        for word in name.split()
        if " " not in name or word not in _english_words()
    )
    names = (word for word in words if word.isalpha() and len(word) > 3 and word not in _known_names())
    # and the devices, skincare, insurers and apps patients name (review/pii_recognizers.yml)
    phrases += _clinic_rules()["not_names"]["products"]
    # and the words of their treatments in other languages, but the short ones ("de" of "patas de gallo")
    foreign = [w for p in _clinic_rules()["not_names"]["treatment_words"] for w in p.split() if len(w) > 3]
    return frozenset([word for phrase in phrases for word in phrase.lower().split()] + foreign + list(names))


@functools.lru_cache(maxsize=None)
def _courtesies() -> regex.Pattern:
    """Greetings, thanks and farewells in the languages patients write (review/pii_recognizers.yml)."""
    phrases = sorted(_clinic_rules()["not_names"]["courtesies"], key=len, reverse=True)
    alternatives = "|".join(regex.escape(phrase) for phrase in phrases)
    return regex.compile(rf"(?<!\p{{L}})(?:{alternatives})(?!\p{{L}})", regex.IGNORECASE)


# what may stand between a greeting and the name after it: "Salam, Ahmed"
BETWEEN_WORDS = regex.compile(r"[\s,!.]*")


def _without_courtesy(text: str, result: RecognizerResult) -> Optional[RecognizerResult]:
    """A name found without the greeting or thanks it starts with ("Salam Ahmed"), or None if all one."""
    start = result.start
    for courtesy in _courtesies().finditer(text):
        if courtesy.start() <= start < courtesy.end():
            start = BETWEEN_WORDS.match(text, courtesy.end()).end()
    if start >= result.end:
        return None
    return RecognizerResult(result.entity_type, start, result.end, result.score, result.analysis_explanation)


@functools.lru_cache(maxsize=None)
def _compounds_of_treatment_words() -> regex.Pattern:
    """Words made of a treatment word of another language: "Nasolabialfalten", "Augenringen"."""
    words = {w for p in _clinic_rules()["not_names"]["treatment_words"] for w in p.split() if len(w) > 4}
    alternatives = "|".join(sorted(map(regex.escape, words), key=len, reverse=True))
    return regex.compile(rf"^(?:{alternatives})|(?:{alternatives})$")


def _is_medical_word(word: str) -> bool:
    """`word` (lower-cased) is a medical word, or made of another language's treatment word."""
    return word in _medical_words() or bool(_compounds_of_treatment_words().search(word))


def _is_medical(text: str) -> bool:
    return any(_is_medical_word(word.strip("'’.,")) for word in text.lower().split())


@functools.lru_cache(maxsize=None)
def _brands() -> frozenset[str]:
    """The words of the product names the assistant knows (contract.product_names)."""
    products = product_names(p for values in _entity_patterns()["treatment"].values() for p in values)
    return frozenset(word for product in products for word in product.split())


# the word just before a match: "Revanesse" in "Revanesse Versa"
WORD_BEFORE = regex.compile(r"(\p{L}+)\s+$")


def _names_a_product_line(text: str, start: int) -> bool:
    """Whether the words at `start` follow a brand, so name its product line: "RHA Redensity"."""
    before = WORD_BEFORE.search(text, 0, start)
    return bool(before) and before.group(1).lower() in _brands()


@functools.lru_cache(maxsize=None)
def _english_words() -> frozenset[str]:
    """WordNet's English words and their forms, from spacy-lookups-data's lemma tables."""
    return frozenset(_lemma_table_words(["en_lemma_lookup", "en_lemma_index", "en_lemma_exc"]))


@functools.lru_cache(maxsize=None)
def _other_languages_words() -> frozenset[str]:
    """The words of the other languages patients write in, from spacy-lookups-data's lemma tables.

    "Schwellung am Kinn", "ácido hialurónico", "Rellenos": capitalised words that are no English word
    and no person's name either.
    """
    return frozenset(word for word in _other_languages_vocabulary() if len(word) > 6) - _known_names()


@functools.lru_cache(maxsize=None)
def _other_languages_vocabulary() -> frozenset[str]:
    """Every word of the other languages' lemma tables, names among them ("cuello", "del")."""
    return frozenset(_lemma_table_words([f"{language}_lemma_lookup" for language in WORD_LANGUAGES]))


@functools.lru_cache(maxsize=None)
def _other_languages_stop_words() -> frozenset[str]:
    """The stop words spaCy has for the other languages patients write: "della", "hasta"."""
    words: set[str] = set()
    for language in WORD_LANGUAGES:
        # the stop-words file alone: importing spacy.lang.<language> would build its tokenizer (seconds)
        path = importlib.resources.files("spacy") / "lang" / language / "stop_words.py"
        spec = importlib.util.spec_from_file_location(f"stop_words_{language}", str(path))
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        words.update(module.STOP_WORDS)
    return frozenset(words)


def _lemma_table_words(tables: Iterable[str]) -> set[str]:
    """Every word of these spacy-lookups-data tables (keys and values), lower-cased."""
    data = importlib.resources.files("spacy_lookups_data") / "data"
    words: set[str] = set()
    for name in tables:
        with gzip.open(str(data / f"{name}.json.gz"), "rt", encoding="utf-8") as table:
            _add_strings(json.load(table), words)
    return set(map(str.lower, words))


def _add_strings(value: object, words: set[str]) -> None:
    """Adds every string of a table, however nested, to `words`: millions, so a dict's at a time."""
    if isinstance(value, str):
        words.add(value)
    elif isinstance(value, (dict, list)):
        if isinstance(value, dict):
            words.update(value)
            value = list(value.values())
        strings = [item for item in value if isinstance(item, str)]
        words.update(strings)
        if len(strings) < len(value):
            for item in value:
                if not isinstance(item, str):
                    _add_strings(item, words)


# a run of capitalised words, with a capital after a small letter too: "Samuel Okafor", "Fiona MacLeod"
CAPITALISED_WORD = r"\p{Lu}[\p{Ll}'’-]+(?:(?<=\p{Ll})\p{Lu}[\p{Ll}'’-]+)?"
CAPITALISED_RUN = regex.compile(rf"\b{CAPITALISED_WORD}(?:\s+{CAPITALISED_WORD})*\b")
# a run of words in capitals: "… ON MONDAY. KAREN WHITLOCK", "for ELLA-MAE DUNCAN on the 12th"
CAPITALS_RUN = regex.compile(r"\b\p{Lu}{2,}(?:['’-]\p{Lu}+)*(?:\s+\p{Lu}{2,}(?:['’-]\p{Lu}+)*)*\b")
# a name in Chinese characters or Hangul, in a message written in another script: "Mrs Chen (陈丽华)",
# "山田花子です" (kana may follow it)
CJK_NAME = regex.compile(r"(?<![\p{Han}\p{Hangul}])[\p{Han}\p{Hangul}]{2,4}(?![\p{Han}\p{Hangul}])")
CJK = regex.compile(r"[\p{Han}\p{Hangul}\p{Hiragana}\p{Katakana}]")
# words of any script but the Latin alphabet: "نور الهدى", "נועה בן דוד", "김지현입니다"
OTHER_SCRIPT_RUN = regex.compile(r"[^\P{L}\p{Latin}][\p{L}\p{M}]*(?:\s+[^\P{L}\p{Latin}][\p{L}\p{M}]*)*")


# a title or a form of address is never the name: "Doctor said…", "Nurse was lovely"
TITLES = {
    "doctor", "nurse", "sister", "matron", "dr", "mr", "mrs", "ms", "miss", "mx", "sir", "madam", "dear",
}  # fmt: skip
# chat spellings that are also someone's name somewhere ("Im nervous", "Ive had…")
CHAT_WORDS = {
    "im", "ive", "id", "ill", "dont", "cant", "wont", "thats", "whats", "its", "u", "ur", "ya", "hun",
    "lol", "omg", "pls", "plz", "thx", "haha",
}  # fmt: skip
# words that are never a name on their own, whatever the name lists hold (and other languages' days and
# hours: `_is_never_a_name`)
NOT_NAMES = frozenset(STOP_WORDS | CHAT_WORDS)


@functools.lru_cache(maxsize=None)
def _other_languages_calendar() -> frozenset[str]:
    return frozenset(_clinic_rules()["not_names"]["calendar"])


def _is_never_a_name(word: str) -> bool:
    """`word` (lower-cased) is a small word, a chat spelling or a day or hour of another language."""
    return word in NOT_NAMES or word in _other_languages_calendar()


def _is_unknown(word: str) -> bool:
    """Neither English nor medical.

    A possessive never counts: "Raynaud's" and "Hashimoto's" are conditions, and a name in the
    possessive rarely stands without a cue.
    """
    base = regex.sub(r"['’](?:m|re|ve|ll|d)$", "", word.lower())
    return not (
        base.endswith(("'s", "’s"))
        or len(base) < 2
        or _is_never_a_name(base)
        or base in _english_words()
        or base in _other_languages_words()
        or _is_medical_word(base)
        or any(
            part in _english_words() or part in _medical_words() for part in base.split("-") if len(part) > 3
        )
    )


class _NameRecognizer(EntityRecognizer):
    """A recognizer of people's names by rules of the clinic's: nothing to load."""

    def __init__(self, name: str) -> None:  # noqa: D107
        super().__init__(supported_entities=["PERSON"], name=name, supported_language="en")

    def load(self) -> None:  # noqa: D102
        pass


class UnknownWordNameRecognizer(_NameRecognizer):
    """A run of capitalised words with one neither English nor medical: a name, as patients write them.

    Also two or three words in capitals with one such word, and Chinese characters or Hangul in a message
    written mostly in another script.
    """

    def __init__(self) -> None:  # noqa: D107
        super().__init__("unknown capitalised word")

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
            # after a product the assistant knows, the unknown word names its line: "Restylane Volyme"
            if any(_is_medical(w.group()) for w in words if w.start() < unknown[0].start()):
                continue
            # a known first name before an unknown surname belongs to it ("Samuel Okafor")
            first = next(
                (
                    w
                    for w in words
                    if not (
                        w.group().lower() in STOP_WORDS
                        or w.group().lower() in TITLES
                        or _is_medical(w.group())
                    )
                ),
                unknown[0],
            )
            start, end = run.start() + min(first.start(), unknown[0].start()), run.start() + unknown[-1].end()
            found.append(RecognizerResult("PERSON", start, end, 0.6))
        # in capitals, a full name: two or three words, one unknown, none a small or medical word
        for run in CAPITALS_RUN.finditer(text):
            words = run.group().split()
            small_or_medical = any(_is_never_a_name(w.lower()) or _is_medical(w) for w in words)
            # one word no dictionary has, or a hyphenated name ("FRANK ADEBAYO-COLE")
            named = any(_is_unknown(w) or ("-" in w and _may_be_a_name(w.lower())) for w in words)
            if 2 <= len(words) <= 3 and named and not small_or_medical:
                found.append(RecognizerResult("PERSON", run.start(), run.end(), 0.6))
        letters = len(regex.findall(r"\p{L}", text))
        # a name in Chinese characters or Hangul among words of another script
        if len(CJK.findall(text)) * 3 < letters:
            found += [RecognizerResult("PERSON", m.start(), m.end(), 0.6) for m in CJK_NAME.finditer(text)]
        # in a message written mostly in the Latin alphabet, words of another script are most often a name
        # given in its own letters, and staff who don't read that script could not tell
        if len(regex.findall(r"[^\P{L}\p{Latin}]", text)) * 3 < letters:
            runs = OTHER_SCRIPT_RUN.finditer(text)
            found += [RecognizerResult("PERSON", m.start(), m.end(), 0.6) for m in runs]
        return found


# a word of a Latin-script name: "Siobhan", "O'Connell", "Nowak-Kowalska"
LATIN_NAME = regex.compile(r"(?<!\p{L})\p{Latin}[\p{Latin}'’-]+")
# "Tyndall effect", "Guillain-Barré syndrome", "Venus lines", "Lambert-Eaton myasthenic syndrome",
# "Fitzpatrick type V": a name in a medical term, the capitalised words of the term after it ("Kate ring
# me" is no term; nor, in a message in capitals, "… DECLAN MORAN AND I WANT … MY FROWN LINES")
EPONYM_FOLLOWS = regex.compile(
    r"(?:[\s-]*\p{Lu}\p{Ll}[\p{L}'’]*)*(?:\s+\p{Ll}+\s+(?i:syndrome|disease|palsy)|\s+(?i:effect|palsy|syndrome|"
    r"disease|phenomenon|sign|test|technique|method|procedure|lines?|lift|rings?|score|scale|type|grade|"
    r"classification))\b(?!\s+(?i:me|us|him|her|them|you|back)\b)"
)
# after a lower-case name that is also a word: the end of the message or the clause, or "here"
NAME_ENDS = regex.compile(
    r"\s*(?:$|[,.!?;:)(]|\p{So}|\s(?:here|and|from|for|x+|at|did|does|said|says|btw|lol|pls)\b)"
)
# a hesitation a voice message keeps between a cue and the name: "it's um sunny"
FILLER = r"(?:(?:um+|uh+|er+|erm+|ah+),?\s+)?"
# just before a lower-case name that is also a word, what says it is one: "thanks rob", "this is mo"
NAME_CUE_BEFORE = regex.compile(
    r"(?:\b(this is|i'?m|i am|from|with|by|dear|thanks|thank (you|u)|thx|ty|ta|cheers|regards|love|"
    r"(hi|hey|hiya|hello),?|dr\.?|doctor|nurse|(my )?(bf|gf|boyfriend|girlfriend|husband|hubby|wife|partner|"
    r"sis|sister|bro|brother|mum|mom|dad|son|daughter|friend))|\s-+|–|—)[\s,]+" + FILLER + "$",
    regex.IGNORECASE,
)
# what names the word after it, in any case and even when it is an English word: "she's called Honey",
# "surname MacLeod"
NAMED_BEFORE = regex.compile(
    r"\b((i'?m|i am|(s?he|they)('s| is| are)|is|was|who'?s) (called|named)|"
    r"(sur|first |last |maiden |family |middle |full |real )name( is|'s|:)?|my names|names (are|:)|"
    r"names are \p{L}+ and|(everyone|everybody|people|they|friends|family) calls? me)[\s,:'\"‘“]+$",
    regex.IGNORECASE,
)
# the cues after which a known name needs nothing after it to count: "my bf jordan paid…" (not "nurse
# said…": "Said" is a name too)
STRONG_CUE_BEFORE = regex.compile(
    r"\bmy (bf|gf|boyfriend|girlfriend|husband|hubby|wife|partner|sis|sister|bro|brother|mum|mom|dad|son|"
    r"daughter|friend|mate|pal|bestie|bff|cousin|aunt|auntie|uncle|niece|nephew|colleague|flatmate|"
    r"housemate|neighbou?r|nan|gran|grandma|grandad|fianc[eé]e?|granddaughter|grandson|stepdaughter|stepson)\s+$",
    regex.IGNORECASE,
)
# a name alone, signing the message or giving a number: "… at 11. sam x", "pls, Tiff x", "Mercy 0871…",
# "ola here x", "- GARY 07…", "… 😘 jaz"
SIGNATURE_START = regex.compile(r"(?:^|[.!?\n,:;\"“(]\s*|\s[-–—]\s*|\p{So}\s*)$")
SIGNATURE_ENDS = regex.compile(
    r"\s*(?:x+\b|here\b|again\b|[—–]|-+\s|[+(]?\d[\d\s()./-]{5}|[.!]*\s*$)", regex.IGNORECASE
)
# "hiya its rose lol": an introduction, told by what follows it ("it's red and sore" is none)
INTRODUCED_BEFORE = regex.compile(r"\b(it'?s|its)\s+" + FILLER + "$", regex.IGNORECASE)
INTRODUCED_AFTER = regex.compile(r"\s+(here|lol|x+|again|from)\b|\s*[.!]*\s*$|\s*\p{So}", regex.IGNORECASE)
# "hey its jack, my forehead…": the same introduction opening the message, where a comma or "my" may end it
OPENING = regex.compile(r"^(?:(?:hi|hey|hiya|hello|yo|oi)\W*\s*)?(it'?s|its)\s+$", regex.IGNORECASE)
OPENING_ENDS = regex.compile(r"\s*[,.!]|\s+my\b", regex.IGNORECASE)  # "again", "here": INTRODUCED_AFTER
SENTENCE_START = regex.compile(r"(?:^|[.!?\n:;\"“(]\s*)$")
# two lower-case words that may be a first name and a surname: "robin ashworth", "kasia nowak-zając", "rich p"
LOWER_PAIR = regex.compile(
    r"(?<![\p{L}'’-])(\p{Ll}[\p{Ll}'’-]+)\s+(\p{Ll}(?:[\p{Ll}'’-]*\p{Ll})?)(?![\p{L}'’-])"
)
# what introduces the pair as the writer: "this is robin ashworth", "its frank o'neill calling"
FULL_NAME_CUE_BEFORE = regex.compile(r"\b(this is|it'?s|its|i'?m|i am)\s+" + FILLER + "$", regex.IGNORECASE)
# a pair signing the message, giving a date or number, or a sentence of its own: "… deal? maria lopes,
# 25/12/1996", "jack o'brien. got Profhilo…"
FULL_NAME_ENDS = regex.compile(rf"{SIGNATURE_ENDS.pattern}|\s*,\s*[+(]?\d|\.\s", regex.IGNORECASE)
# "Grace said…", "Mark and I…": at a sentence's start, a name that is also a word, told by what follows
ACTS_LIKE_A_PERSON = regex.compile(
    r"\s+(said|says|told|tells|asked|recommended|suggested|reckons|thinks|thought|did|booked|rang|texted|"
    r"is coming (with|too|along|over|in)|from (work|the|my)|at the|at reception|on reception|and I|and me|"
    r"&)\b"
    # "Mark and Priya here", "Holly and Mae (my daughters)": two people, told by what follows the second
    r"|\s+and\s+(\p{L}+\s+){1,2}(here\b|\((my|our|her|his)\b)"
    # an age: "Holly is 17 - can she…" (not "… is 10 units")
    r"|\s+is (only |just |nearly |almost )?\d{1,2}\b"
    r"(?![.,]?\d|\s*(%|mg|ml|cc|units?|u\b|days?|weeks?|months?|hours?|hrs?|min|mins|minutes?|am|pm|x\b|times|syringes?))"
    r"|,?\s+(\p{L}+\s+)?and\s+(\p{L}+\s+)?(I(?!['’])|me|both)\b",
    regex.IGNORECASE,
)
# "Joy's mobile", "Sarah's Kysse appointment": a name's possessive before what belongs to a person (a
# condition's possessive, "Raynaud's phenomenon", is not)
A_PERSONS = regex.compile(
    r"['’]s\s+(?:\p{L}+\s+)?(number|mobile|phone|cell|email|address|appointment|booking|birthday|bday|dob|"
    r"friend|husband|name|"
    r"wife|partner|boyfriend|girlfriend|mum|mom|dad|sister|brother|daughter|son)\b",
    regex.IGNORECASE,
)


@functools.lru_cache(maxsize=None)
def _known_names() -> frozenset[str]:
    """First and last names, lower-cased: Faker's person providers' Latin-script and romanised lists.

    Months and weekdays are left out: "in May" and "on Monday" are dates, and the date recognizers say so.
    """
    import faker.config  # its lists: ~0.3 s, once

    calendar = {
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    }  # fmt: skip
    names: set[str] = set()
    for locale in faker.config.AVAILABLE_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue  # a locale without names of its own
        for attribute, value in vars(provider).items():
            if attribute.startswith(
                ("first_names", "last_names", "first_romanized", "last_romanized")
            ) and isinstance(value, (tuple, list, dict)):
                names.update(str(name) for name in value)
    excluded = calendar | TITLES
    return frozenset(
        name.lower() for name in names if LATIN_NAME.fullmatch(name) and name.lower() not in excluded
    )


def _may_be_a_name(word: str) -> bool:
    """A known name, a word no dictionary has, or such words joined by hyphens ("kowalski-reid")."""
    parts = word.split("-")
    return word in _known_names() or _is_unknown(word) or (len(parts) > 1 and all(map(_may_be_a_name, parts)))


class KnownNameRecognizer(_NameRecognizer):
    """A word that is a known first or last name, where a word like it would not be one by chance.

    A capitalised name that is also an English word ("Grace", "Will", "Mark") counts inside a sentence,
    and at its start only when what follows is what people do ("Grace said", not "Will it hurt?") or
    what belongs to people ("Joy's mobile"); a lower-case one when it is not an English word ("this is
    siobhan"), follows a cue ("thanks rob", "my bf jordan") or signs the message ("… at 11. sam x"); and
    after such a cue, or as such a signature, any lower-case word that is not English ("i'm nkechi").
    Medical words, stop words and other possessives never count; a name in a medical term ("Tyndall
    effect") is dropped in `redact`, with every other recognizer's.
    """

    def __init__(self) -> None:  # noqa: D107
        super().__init__("known name")

    def analyze(
        self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None
    ) -> List[RecognizerResult]:
        """Every word that is a name by the rules above."""
        found = []
        for word in LATIN_NAME.finditer(text):
            name = word.group()
            # a possessive is more often a condition than a name on its own ("Raynaud's", "Parkinson's"),
            # unless a person's things follow it
            persons = name.endswith(("'s", "’s")) and bool(A_PERSONS.match(text, word.end() - 2))
            strong = STRONG_CUE_BEFORE.search(text, 0, word.start())
            if name.endswith(("'s", "’s")):
                if not (persons or strong):
                    continue
                name = name[:-2]
            end = word.start() + len(name)
            lower = name.lower()
            if _is_never_a_name(lower) or _is_medical(name):
                continue
            if NAMED_BEFORE.search(text, 0, word.start()):
                found.append(RecognizerResult("PERSON", word.start(), end, 0.5))
                continue
            cued = NAME_CUE_BEFORE.search(text, 0, word.start())
            # a known name in brackets, as another name for someone: "Wong Mei Ling (Karen)" (not "(DAO)")
            bracketed = text[word.start() - 1 : word.start()] == "(" and text[end : end + 1] == ")"
            bracketed = bracketed and name.istitle() and lower in _known_names()
            # what says a word is someone's name, whatever the lists say
            told = bool(
                persons
                or bracketed
                or strong
                or (cued and NAME_ENDS.match(text, end))
                or (INTRODUCED_BEFORE.search(text, 0, word.start()) and INTRODUCED_AFTER.match(text, end))
                or (OPENING.search(text, 0, word.start()) and OPENING_ENDS.match(text, end))
                or (SIGNATURE_START.search(text, 0, word.start()) and SIGNATURE_ENDS.match(text, end))
                or ACTS_LIKE_A_PERSON.match(text, end)
            )
            # a lower-case word of another language's grammar is no name unless told: "rughe della fronte"
            if not told and name.islower() and lower in _other_languages_stop_words():
                continue
            english = lower in _english_words()
            if lower not in _known_names():
                # "i'm nkechi", "TEMITOPE 1/2/90"
                if english or not (told or (cued and not name[0].isupper())):
                    continue
            elif (
                english and not told and (not name.istitle() or SENTENCE_START.search(text, 0, word.start()))
            ):
                continue  # "Will it hurt?", "nurse said the…"; but "thanks rob", "Grace said", "… sam x"
            found.append(RecognizerResult("PERSON", word.start(), end, 0.5))
        names_here = {text[result.start : result.end].lower() for result in found}
        return found + self._lower_case_full_names(text, names_here)

    @staticmethod
    def _lower_case_full_names(text: str, names_here: set[str]) -> List[RecognizerResult]:
        """Two lower-case words that are someone's full name.

        A known first name and a surname no dictionary has ("jack o'sullivan"), or two words that may be
        names after an introduction or as a signature ("its frank o'neill calling", "maria lopes, 25/…"),
        or a first name the message already gave and a word after it ("its summer, summer brook, …").
        """
        found = []
        for pair in LOWER_PAIR.finditer(text, overlapped=True):
            first, last = pair.group(1), pair.group(2)
            # a pair of another language's words is no name: "lifting de cejas", "flacidez del cuello" (an
            # initial may be anything: "sam k")
            if any(
                _is_never_a_name(word)
                or _is_medical(word)
                or (
                    len(word) > 1
                    and (
                        word in _other_languages_stop_words()
                        or (word in _other_languages_vocabulary() and word not in _known_names())
                    )
                )
                for word in (first, last)
            ):
                continue
            start, end = pair.span()
            clause_start = SIGNATURE_START.search(text, 0, start)
            introduced = (
                # "… my friend (charlotte beaumont) recommended you"
                (text[start - 1 : start] == "(" and text[end : end + 1] == ")")
                or FULL_NAME_CUE_BEFORE.search(text, 0, start)
                or (clause_start and FULL_NAME_ENDS.match(text, end))
                # a first name given again, with what follows it: "its summer, summer brook"
                or (clause_start and first in names_here)
            )
            # introduced, a surname need only be no other word's ("beaumont" is in WordNet)
            if (first in _known_names() and _is_unknown(last)) or (introduced and _may_be_a_name(first)):
                found.append(RecognizerResult("PERSON", start, end, 0.5))
        return found


def _operators(entities: List[str]) -> Dict[str, OperatorConfig]:
    return {e: OperatorConfig("replace", {"new_value": PLACEHOLDERS.get(e, ANY_OTHER)}) for e in entities}


# the word just before a name found: "This is Will. Will Ngata-Fa'alogo", "Jack-Jack Moore"
WORD_JUST_BEFORE = regex.compile(r"(?<![\p{L}'’-])([\p{L}'’-]+) $")


def _with_first_name(text: str, result: RecognizerResult) -> RecognizerResult:
    """The name found, with a known first name just before it that a rule left out."""
    word = WORD_JUST_BEFORE.search(text, 0, result.start)
    # capitalised, as the name is: not "my friend Sarah" ("Friend" is a surname too)
    if not (word and word.group(1)[:1].isupper() and text[result.start : result.start + 1].isupper()):
        return result
    lower = word.group(1).lower()
    names = _known_names()
    known = lower in names or ("-" in lower and all(part in names for part in lower.split("-")))
    if not known or _is_medical(lower) or (_is_never_a_name(lower) and lower not in names):
        return result
    explanation = result.analysis_explanation
    return RecognizerResult(result.entity_type, word.start(), result.end, result.score, explanation)


def _before_medical_words(text: str, result: Optional[RecognizerResult]) -> Optional[RecognizerResult]:
    """A name found, up to its first medical word ("Joanna Cheek here": Joanna); None if it starts with one.

    "it's Juvederm Voluma" names no one; "Joanna Cheek" names Joanna, whose surname is also a face area.
    """
    if result is None or result.entity_type != "PERSON":
        return result
    words = list(regex.finditer(r"\S+", text[result.start : result.end]))
    medical = next((word for word in words if _is_medical(word.group())), None)
    if medical is None:
        return result
    end = result.start + medical.start()
    # the words before the first medical one, without the space and any comma or bracket before it
    end = result.start + len(text[result.start : end].rstrip(" ,;:(-–—"))
    if end <= result.start:
        return None
    return RecognizerResult(result.entity_type, result.start, end, result.score, result.analysis_explanation)


def redact(text: str) -> str:
    """Returns `text` with personal details replaced by placeholders like [name] or [date]."""
    if not text:
        return text
    analyzer, anonymizer = _engines()
    analyzed = analyzer.analyze(text=text, language="en", score_threshold=SCORE_THRESHOLD)
    names_trimmed = (
        _without_courtesy(text, _with_first_name(text, result)) if result.entity_type == "PERSON" else result
        for result in analyzed
    )
    found = [
        result
        for result in (_before_medical_words(text, result) for result in names_trimmed)
        if result is not None
        and not (
            result.entity_type == "PERSON"
            and (EPONYM_FOLLOWS.match(text, result.end) or _names_a_product_line(text, result.start))
        )
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
