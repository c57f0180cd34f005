"""Seeds a tracker store with made-up conversations in Rasa's event format, to measure the review app.

python -m scripts.seed_conversations --count 100000 --db /tmp/seeded.db

The patients' questions are those of tests/patient_questions.yml, with what the assistant makes of them
(intent, treatment, red flag, gap) taken from their expectations; start times spread over a year; one
answer in seven rated by the patient in the widget, a third of those as not helpful. Never point it at a
real tracker store.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import sqlalchemy as sa
import yaml

from actions import knowledge
from contract import (
    ANSWER_AT_KEY,
    ANSWER_FEEDBACK_SLOT,
    FACTS_KEY,
    GAPS_KEY,
    HANDOFF_INTENTS,
    HELPFUL_KEY,
    NOT_COVERED_INTENT,
    OUT_OF_SCOPE_INTENT,
    PROJECT_ROOT,
    RED_FLAG_INTENT,
    RED_FLAGS_KEY,
    TOPIC_INTENT_PREFIX,
)
from review import schema

YEAR = 365 * 86_400


def turns() -> List[Dict[str, Any]]:
    """Every question of the held-out set, with the intent, treatment and flags it stands for."""
    facts = {fact.id: fact for fact in knowledge.load().facts}
    document = yaml.safe_load((PROJECT_ROOT / "tests" / "patient_questions.yml").read_text())
    found = []
    for conversation in document["conversations"]:
        for turn in conversation:
            expect = str(turn["expect"])
            fact = facts.get(expect)
            found.append(
                {
                    "text": turn["text"],
                    "intent": (
                        f"{TOPIC_INTENT_PREFIX}{fact.topic}" if fact
                        else NOT_COVERED_INTENT if expect.startswith("gap")
                        else RED_FLAG_INTENT if expect == "red_flag"
                        else HANDOFF_INTENTS[0] if expect == "contact"
                        else OUT_OF_SCOPE_INTENT
                    ),
                    "treatment": fact.treatment if fact else None,
                    "facts": [fact.id] if fact else [],
                    "gaps": [expect.partition(":")[2] or "other"] if expect.startswith("gap") else [],
                    "red_flag": expect == "red_flag",
                }
            )  # fmt: skip
    return found


def events_of(sender: str, start: float, chosen: List[Dict[str, Any]], rng: random.Random) -> Iterator[Tuple]:
    """One conversation's rows for Rasa's events table."""
    at = start

    def row(type_name: str, data: Dict[str, Any], intent: Optional[str] = None, action: Optional[str] = None):
        nonlocal at
        at += rng.uniform(0.05, 20)
        return (
            sender,
            type_name,
            at,
            intent,
            action,
            json.dumps({"event": type_name, "timestamp": at, **data}),
        )

    yield row("action", {"name": "action_session_start"}, action="action_session_start")
    yield row("session_started", {})
    yield row("action", {"name": "action_listen"}, action="action_listen")
    for turn in chosen:
        confidence = 1.0 if turn["red_flag"] else round(rng.betavariate(6, 1.2), 4)
        entities = [{"entity": "treatment", "value": turn["treatment"]}] if turn["treatment"] else []
        parse = {"intent": {"name": turn["intent"], "confidence": confidence}, "entities": entities}
        if turn["red_flag"]:
            parse[RED_FLAGS_KEY] = [{"label": "a red-flag symptom"}]
        yield row(
            "user",
            {"text": turn["text"], "parse_data": parse, "input_channel": "socketio"},
            intent=turn["intent"],
        )
        yield row("action", {"name": "action_answer_question"}, action="action_answer_question")
        answer = row("bot", {"text": "…", "metadata": {FACTS_KEY: turn["facts"], GAPS_KEY: turn["gaps"]}})
        yield answer
        if (turn["facts"] or turn["gaps"]) and rng.random() < 1 / 7:
            rating = {HELPFUL_KEY: rng.random() < 2 / 3, ANSWER_AT_KEY: answer[2]}
            yield row("slot", {"name": ANSWER_FEEDBACK_SLOT, "value": rating}, action=ANSWER_FEEDBACK_SLOT)
        if turn["treatment"]:
            yield row("slot", {"name": "treatment", "value": turn["treatment"]}, action="treatment")
        yield row("action", {"name": "action_listen"}, action="action_listen")


def seed(database: Path, count: int, seed_value: int = 7) -> int:
    """Adds `count` conversations to an SQLite file (made if missing); returns how many events it added."""
    engine = sa.create_engine(f"sqlite:///{database}")
    schema.events.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(seed_value)
    questions = turns()
    now = time.time()
    added = 0
    with sqlite3.connect(database) as db:
        for start in range(0, count, 5000):
            rows = []
            for _ in range(start, min(count, start + 5000)):
                chosen = rng.sample(questions, rng.randint(1, 4))
                rows.extend(
                    events_of(
                        uuid.UUID(int=rng.getrandbits(128)).hex, now - rng.uniform(0, YEAR), chosen, rng
                    )
                )
            db.executemany(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            added += len(rows)
    return added


def main(argv: Optional[List[str]] = None) -> None:
    """Parses the command line and seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--db", type=Path, required=True, help="an SQLite file (created if missing)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    added = seed(args.db, args.count)
    print(f"seeded {args.count} conversations ({added} events) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
