"""What staff need to know about a conversation, worked out from its Rasa events: turns and flags.

`sync` keeps the review app's summary tables up to date: it reads the events added since it last ran
and rebuilds the summary of every conversation they belong to.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

import sqlalchemy as sa

from contract import (
    ANSWER_AT_KEY,
    ANSWER_FEEDBACK_SLOT,
    FALLBACK_INTENT,
    GAPS_KEY,
    HANDOFF_INTENTS,
    HELPFUL_KEY,
    NOT_COVERED_INTENT,
    OUT_OF_SCOPE_INTENT,
    RED_FLAG_INTENT,
    RED_FLAGS_KEY,
    SYMPTOMS_MENTIONED_KEY,
)
from review import schema

FALLBACK_INTENTS = {FALLBACK_INTENT, OUT_OF_SCOPE_INTENT}
FALLBACK_ACTIONS = {
    "action_default_fallback",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
}
FLAGS = {
    "red_flag": "Red flag",
    "symptom_mentioned": "Symptom mentioned, not current",
    "fallback": "Fallback or out of scope",
    "low_confidence": "Low NLU confidence",
    "gap": "Article gap",
    "handoff": "Handoff or booking asked",
    "not_helpful": "Answer marked not helpful",
}
BATCH = 2000  # conversations rebuilt per transaction


def day_of(timestamp: float) -> str:
    """The UTC date of a Rasa timestamp, as YYYY-MM-DD."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def is_payload(text: str) -> bool:
    """Whether a message is a button's or the widget's payload (/intent{...}) rather than typed text."""
    return text.startswith("/")


def words(text: str) -> str:
    """A message's words, case and punctuation ignored: "How long does Botox last?" -> "how long does…"."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def group_key(text: str) -> str:
    """The key that near-identical messages share: their words, hashed.

    "How long does Botox last?" and "how long does botox last" are one group in the inbox and one
    correction.
    """
    return hashlib.sha256(words(text).encode()).hexdigest()[:32]


@dataclass
class Turn:
    """One patient message and what the assistant made of it."""

    event_id: int
    at: float
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    entities: List[Dict[str, Any]]
    treatment: Optional[str]
    red_flag: bool
    symptom_mentioned: bool
    gap: bool
    fallback: bool = False
    # the patient's last word on the answer to this message (the widget's helpful / not helpful)
    found_helpful: Optional[bool] = None

    def row(self, sender_id: str) -> Dict[str, Any]:
        """The turn as a review_turns row."""
        typed = not is_payload(self.text)
        return {
            "event_id": self.event_id,
            "sender_id": sender_id,
            "at": self.at,
            "day": day_of(self.at),
            "intent": self.intent,
            "confidence": self.confidence,
            "treatment": self.treatment,
            "red_flag": self.red_flag,
            "text": self.text if typed else None,
            "group_key": group_key(self.text) if typed else None,
            "fallback": self.fallback,
            "gap": self.gap,
            "found_helpful": self.found_helpful,
        }


@dataclass
class Summary:
    """A conversation's summary: its patient turns and flags."""

    sender_id: str
    started_at: float = 0.0
    last_at: float = 0.0
    channel: Optional[str] = None
    turns: List[Turn] = field(default_factory=list)

    @property
    def red_flag(self) -> bool:
        """Whether a message reported a red-flag symptom."""
        return any(t.red_flag for t in self.turns)

    @property
    def symptom_mentioned(self) -> bool:
        """Whether a message mentioned a symptom as negated, past, hypothetical or asked about."""
        return any(t.symptom_mentioned for t in self.turns)

    @property
    def fallback(self) -> bool:
        """Whether the assistant fell back or found a message out of scope."""
        return any(t.fallback for t in self.turns)

    @property
    def not_helpful(self) -> bool:
        """Whether the patient marked an answer not helpful."""
        return any(t.found_helpful is False for t in self.turns)

    @property
    def gap(self) -> bool:
        """Whether a question fell outside the article."""
        return any(t.gap for t in self.turns)

    @property
    def handoff(self) -> bool:
        """Whether the patient asked for a person or a booking."""
        return any(t.intent in HANDOFF_INTENTS for t in self.turns)

    @property
    def min_confidence(self) -> Optional[float]:
        """The lowest intent confidence of the patient's messages."""
        scores = [t.confidence for t in self.turns if t.confidence is not None]
        return min(scores) if scores else None

    def row(self) -> Dict[str, Any]:
        """The conversation as a review_conversations row."""
        typed = [t.text for t in self.turns if not is_payload(t.text)]
        return {
            "sender_id": self.sender_id,
            "started_at": self.started_at,
            "started_day": day_of(self.started_at),
            "last_at": self.last_at,
            "channel": self.channel,
            "patient_messages": len(self.turns),
            "first_question": typed[0] if typed else None,
            "red_flag": self.red_flag,
            "symptom_mentioned": self.symptom_mentioned,
            "fallback": self.fallback,
            "gap": self.gap,
            "handoff": self.handoff,
            "not_helpful": self.not_helpful,
            "min_confidence": self.min_confidence,
            "search_text": "\n".join(typed).lower(),
        }


def summarize(sender_id: str, rows: Iterable[Any]) -> Summary:
    """Builds a conversation's summary from its event rows (id, type_name, timestamp, data), oldest first."""
    summary = Summary(sender_id)
    answered: Dict[float, Turn] = {}  # a bot event's timestamp -> the patient turn it answered
    for row in rows:
        event = json.loads(row.data or "{}")
        summary.started_at = summary.started_at or row.timestamp
        summary.last_at = row.timestamp
        current = summary.turns[-1] if summary.turns else None
        if row.type_name == "user":
            summary.channel = summary.channel or event.get("input_channel")
            summary.turns.append(turn_of(row.id, row.timestamp, event))
        elif current is None:
            continue  # what happens before the patient's first message (session start) says nothing
        elif row.type_name == "action" and event.get("name") in FALLBACK_ACTIONS:
            current.fallback = True
        elif row.type_name == "bot":
            answered[event.get("timestamp", row.timestamp)] = current
            if (event.get("metadata") or {}).get(GAPS_KEY):
                current.gap = True  # the assistant said the article doesn't cover it
        elif row.type_name == "slot":
            apply_slot(current, event, answered)
    return summary


def apply_slot(current: Turn, event: Dict[str, Any], answered: Dict[float, Turn]) -> None:
    """What a slot the assistant or the widget set says about the patient's turns."""
    name, value = event.get("name"), event.get("value")
    if name == "treatment" and not current.treatment and value:
        current.treatment = value
    elif name == "red_flag" and value:
        current.red_flag = True
    elif name == ANSWER_FEEDBACK_SLOT and isinstance(value, dict) and value.get(ANSWER_AT_KEY) in answered:
        answered[value[ANSWER_AT_KEY]].found_helpful = bool(value.get(HELPFUL_KEY))  # the latest click wins


def turn_of(event_id: int, at: float, event: Dict[str, Any]) -> Turn:
    """A patient turn from a Rasa `user` event."""
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    entities = parse.get("entities") or []
    treatments = [e.get("value") for e in entities if e.get("entity") == "treatment"]
    return Turn(
        event_id=event_id,
        at=at,
        text=event.get("text") or "",
        intent=intent.get("name"),
        confidence=intent.get("confidence"),
        entities=entities,
        treatment=treatments[0] if treatments else None,
        red_flag=intent.get("name") == RED_FLAG_INTENT or bool(parse.get(RED_FLAGS_KEY)),
        symptom_mentioned=bool(parse.get(SYMPTOMS_MENTIONED_KEY)),
        gap=intent.get("name") == NOT_COVERED_INTENT,
        fallback=intent.get("name") in FALLBACK_INTENTS,
    )


_sync_lock = threading.Lock()


def sync(engine: sa.engine.Engine) -> int:
    """Brings the summaries up to date with the events; returns how many conversations it rebuilt."""
    with _sync_lock:
        with engine.begin() as connection:
            done = connection.execute(
                sa.select(schema.state.c.value).where(schema.state.c.key == "last_event_id")
            ).scalar()
            newest = connection.execute(sa.select(sa.func.max(schema.events.c.id))).scalar()
            if newest is None or newest == done:
                return 0
            senders = [
                row[0]
                for row in connection.execute(
                    sa.select(schema.events.c.sender_id)
                    .where(schema.events.c.id > (done or 0), schema.events.c.id <= newest)
                    .distinct()
                )
            ]
        for start in range(0, len(senders), BATCH):
            with engine.begin() as connection:
                rebuild(connection, senders[start : start + BATCH], newest)
        with engine.begin() as connection:
            connection.execute(schema.state.delete().where(schema.state.c.key == "last_event_id"))
            connection.execute(schema.state.insert().values(key="last_event_id", value=newest))
        return len(senders)


def rebuild(connection: sa.engine.Connection, senders: List[str], newest: int) -> None:
    """Replaces the summaries of `senders` with ones built from their events up to id `newest`."""
    events = schema.events.c
    rows = connection.execute(
        sa.select(events.id, events.sender_id, events.type_name, events.timestamp, events.data)
        .where(events.sender_id.in_(senders), events.id <= newest)
        .order_by(events.sender_id, events.id)
    )
    by_sender: Dict[str, List[Any]] = {}
    for row in rows:
        by_sender.setdefault(row.sender_id, []).append(row)
    summaries = [summarize(sender, by_sender[sender]) for sender in by_sender]
    forget(connection, senders, tables=(schema.conversations, schema.turns))
    if summaries:
        connection.execute(schema.conversations.insert(), [s.row() for s in summaries])
    turn_rows = [t.row(s.sender_id) for s in summaries for t in s.turns]
    if turn_rows:
        connection.execute(schema.turns.insert(), turn_rows)


def forget(
    connection: sa.engine.Connection, senders: List[str], tables: Iterable[sa.Table] = schema.DERIVED
) -> None:
    """Deletes these conversations' rows from `tables`, 500 conversations a statement.

    By default what the review app holds about them; retention (review/retention.py) adds Rasa's events.
    """
    for table in tables:
        for start in range(0, len(senders), 500):
            connection.execute(table.delete().where(table.c.sender_id.in_(senders[start : start + 500])))
