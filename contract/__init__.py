"""The names the assistant and the staff review app agree on, in one place.

The review app reads what the assistant wrote into the tracker store: intent names, the keys the NLU
pipeline adds to a parsed message, the metadata of a bot reply, a patient's feedback on an answer.
Spelled here once and imported on both sides (components/, actions/, channels/, review/, scripts/), a
rename breaks a test, not the review app's flags (tests/test_contract.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

# The checkout: where the assistant and the review app find the files they share (endpoints.yml,
# knowledge/, the tracker store's default SQLite file)
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Intents the review app flags and the assistant's components produce
RED_FLAG_INTENT = "report_red_flag"
FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier
NOT_COVERED_INTENT = "ask_not_covered"
OUT_OF_SCOPE_INTENT = "out_of_scope"
HANDOFF_INTENTS = ("request_human", "book_appointment")
# replies of a few words ("You're welcome!"): right for "thanks", wrong for a story that ends in it
COURTESY_INTENTS = ("greet", "goodbye", "thanks", "affirm", "deny")
# a topic's question intent is this prefix and the topic's name in knowledge/facts.yml ("ask_duration")
TOPIC_INTENT_PREFIX = "ask_"

# What the NLU pipeline adds to a parsed message (components/)
RED_FLAGS_KEY = "red_flags"  # red flags happening now: [{"id", "label"}]
SYMPTOMS_MENTIONED_KEY = "symptoms_mentioned"  # negated, past, hypothetical or asked about
# on a treatment entity that names a product ("Juvederm"), not a kind of treatment ("lip filler")
PRODUCT_KEY = "product"
# the topic intents a message asks besides its intent (a red flag included), or ask_not_covered
OTHER_QUESTIONS_KEY = "other_questions"
# the gap_topic entity value of a side effect asked how it is put right or whether it will go away ("can
# it be fixed?", "is this permanent?"; knowledge/entity_patterns.yml): a gap only beside a side effect
SIDE_EFFECT_CARE = "side_effect_care"

# What a bot reply carries in its metadata (actions/actions.py)
FACTS_KEY = "facts"  # the ids of the cards it cites (knowledge/facts.yml)
GAPS_KEY = "gaps"  # what it says the article doesn't cover

# A patient's feedback on an informational answer (channels/socketio.py): a slot set to
# {HELPFUL_KEY: bool, ANSWER_AT_KEY: the timestamp of the answer's bot event}, once per click; the
# latest for an answer is the patient's last word
ANSWER_FEEDBACK_SLOT = "answer_feedback"
HELPFUL_KEY = "helpful"
ANSWER_AT_KEY = "answer_at"

# The treatment values of the `treatment` entity and slot
BOTOX, FILLER, BOTH = "botox", "filler", "both"
TREATMENTS = (BOTOX, FILLER, BOTH)


def topic_of(intent: str) -> str | None:
    """The topic a question intent asks about ("ask_duration" -> "duration"), or None."""
    return intent[len(TOPIC_INTENT_PREFIX) :] if intent.startswith(TOPIC_INTENT_PREFIX) else None


def product_names(treatment_phrases: Iterable[str]) -> frozenset[str]:
    """The `treatment` entity's phrases that name a product, lower-cased (knowledge/entity_patterns.yml).

    Every word of a product's name starts with a capital ("Juvederm", "Princess Volume"); a kind of
    treatment has a word that doesn't ("lip filler", "HA filler"). The assistant marks a product
    (PRODUCT_KEY); the review app's redaction keeps a product line named after a brand ("RHA Redensity").
    """
    return frozenset(
        phrase.lower() for phrase in treatment_phrases if all(word[0].isupper() for word in phrase.split())
    )
