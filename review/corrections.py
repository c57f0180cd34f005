"""What staff may say a missed message should have been: the outcomes of a correction, checked.

A correction labels a group of near-identical patient messages (summary.group_key) with one outcome:
- `intent`: the question it was, an intent of the domain with the treatment it was about, if any;
- `gap`: an on-topic question the article doesn't answer, with what it asked about;
- `red_flag`: a red flag the assistant missed (exported as a triage test case, never into patterns);
- `fine`: off-topic, or answered as it should have been: nothing to learn.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from contract import FALLBACK_INTENT, PROJECT_ROOT, RED_FLAG_INTENT, TREATMENTS

OUTCOMES = ("intent", "gap", "red_flag", "fine")
MAX_GAP_TOPIC_LENGTH = 200


class CorrectionError(ValueError):
    """A correction that names no valid outcome; the text says what is wrong."""


@lru_cache(maxsize=None)
def correctable_intents() -> Tuple[str, ...]:
    """The domain's intents a message may be corrected to (red flags and gaps are outcomes of their own)."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(i for i in domain["intents"] if i not in (RED_FLAG_INTENT, FALLBACK_INTENT))


@lru_cache(maxsize=None)
def known_gaps() -> Tuple[str, ...]:
    """What the article is known not to cover (knowledge/facts.yml), for the gap topic's suggestions."""
    facts = yaml.safe_load((PROJECT_ROOT / "knowledge" / "facts.yml").read_text(encoding="utf-8"))
    return tuple(facts["gaps"].values())


def checked(form: Mapping[str, Any]) -> Dict[str, Optional[str]]:
    """The correction a form asks for, as review_corrections values; raises CorrectionError."""
    outcome = str(form.get("outcome") or "")
    if outcome not in OUTCOMES:
        raise CorrectionError(f"The outcome must be one of {', '.join(OUTCOMES)}.")
    values: Dict[str, Optional[str]] = {
        "outcome": outcome,
        "intent": None,
        "treatment": None,
        "gap_topic": None,
    }
    if outcome == "intent":
        intent, treatment = str(form.get("intent") or ""), str(form.get("treatment") or "")
        if intent not in correctable_intents():
            raise CorrectionError("Pick the intent the message should have had.")
        if treatment and treatment not in TREATMENTS:
            raise CorrectionError(f"The treatment must be one of {', '.join(TREATMENTS)}, or none.")
        values.update(intent=intent, treatment=treatment or None)
    elif outcome == "gap":
        topic = " ".join(str(form.get("gap_topic") or "").split())
        if not 1 <= len(topic) <= MAX_GAP_TOPIC_LENGTH:
            raise CorrectionError(
                f"Say what the article doesn't cover, in 1 to {MAX_GAP_TOPIC_LENGTH} characters."
            )
        values.update(gap_topic=topic)
    return values


def describe(correction: Mapping[str, Any]) -> str:
    """A correction as staff read it ("ask_duration · botox", "article gap: flying", …)."""
    outcome = correction["outcome"]
    if outcome == "intent":
        return " · ".join(v for v in (correction["intent"], correction["treatment"]) if v)
    if outcome == "gap":
        return f"article gap: {correction['gap_topic']}"
    return {"red_flag": "a red flag", "fine": "off-topic / fine as answered"}[outcome]


def suggestions(named: List[str]) -> List[str]:
    """Gap topics to suggest: those staff named before, then the article's known gaps."""
    return list(dict.fromkeys([*named, *known_gaps()]))
