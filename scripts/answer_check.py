"""The end-to-end answer check: realistic patient questions, sent over REST to the running assistant.

Reads tests/patient_questions.yml (written apart from the training data) and scores each reply: did it
answer the right topic for the right treatment (the expected card's text is in it), does every
informational answer recommend a qualified medical professional, and does no reply state a number
the article lacks.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any, Dict, List

import yaml

from actions import config, knowledge
from actions.numbers import EMERGENCY_NUMBER, allowed_numbers, numbers_in
from contract import PROJECT_ROOT
from tests.harness import servers

QUESTIONS = PROJECT_ROOT / "tests" / "patient_questions.yml"
QUALIFIED = "qualified medical professional"
# The gaps tests/heldout/LABELLING.md names. A gap the assistant names that the guide doesn't (health
# conditions, how a result will look) is one of the guide's `gap:other`: on topic, and not in the article.
LABELLED_GAPS = {
    "dosage", "pregnancy", "downtime", "pain", "onset", "removal", "allergy", "brand_comparison", "age"
}  # fmt: skip


@dataclass
class Turn:
    """One question, what was expected, and how the reply scored."""

    text: str
    expect: str
    reply: str
    understood: bool
    informational: bool
    recommends_professional: bool
    foreign_numbers: List[str]


def meets(expect: str, messages: List[Dict[str, Any]], facts: knowledge.Knowledge) -> bool:
    """Whether the bot's messages for one turn are what `expect` asks for."""
    clinic = config.clinic()
    reply = "\n".join(m.get("text", "") for m in messages)
    first = messages[0].get("text", "") if messages else ""
    kind, _, detail = expect.partition(":")
    gaps_meant = {detail} if detail in LABELLED_GAPS else set(facts.gaps) - LABELLED_GAPS
    checks = {
        "gap": lambda: "doesn't cover" in reply and any(facts.gaps[gap] in reply for gap in gaps_meant),
        "red_flag": lambda: f"call {EMERGENCY_NUMBER} or go to the nearest emergency" in first,
        # a near-miss whose set names no answer: anything but the urgent-care reply first
        "own_answer": lambda: f"call {EMERGENCY_NUMBER} or go to the nearest emergency" not in first,
        "out_of_scope": lambda: "only help with questions about Botox and dermal fillers" in reply,
        "contact": lambda: clinic.booking_url in reply,
        "greeting": lambda: "What would you like to know about Botox or dermal fillers?" in reply,
        "thanks": lambda: "welcome" in reply or "Happy to help" in reply,
    }
    if kind in checks:
        return checks[kind]()
    card = next(f for f in facts.facts if f.id == expect)
    return card.answer in reply


def run(rasa_url: str) -> Dict[str, Any]:
    """Sends every conversation to the assistant at `rasa_url` and returns the scores and turns."""
    facts = knowledge.load()
    allowed = allowed_numbers()
    turns: List[Turn] = []
    for conversation in yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["conversations"]:
        sender = f"answer-check-{uuid.uuid4()}"
        for turn in conversation:
            messages = servers.say(rasa_url, sender, turn["text"])
            reply = "\n".join(m.get("text", "") for m in messages)
            # an informational answer: a card's text, or the statement that the article is silent
            informational = "doesn't cover" in reply or any(f.answer in reply for f in facts.facts)
            turns.append(
                Turn(
                    text=turn["text"],
                    expect=turn["expect"],
                    reply=reply,
                    understood=meets(turn["expect"], messages, facts),
                    informational=informational,
                    recommends_professional=QUALIFIED in reply,
                    foreign_numbers=sorted(numbers_in(reply) - allowed),
                )
            )
    informational = [t for t in turns if t.informational]
    return {
        "turns": len(turns),
        "understood": sum(t.understood for t in turns) / len(turns),
        "recommendation_in_informational_answers": (
            sum(t.recommends_professional for t in informational) / len(informational)
        ),
        "free_of_foreign_numbers": sum(not t.foreign_numbers for t in turns) / len(turns),
        "red_flags_caught": (
            sum(t.understood for t in turns if t.expect == "red_flag")
            / sum(t.expect == "red_flag" for t in turns)
        ),
        "details": [asdict(t) for t in turns],
    }
