"""The facts the assistant may state, loaded from knowledge/facts.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from actions import config


@dataclass(frozen=True)
class Topic:
    """Something patients ask about; `ask_<name>` is its intent."""

    name: str
    question: str
    label: str
    follow_ups: Tuple[str, ...]


@dataclass(frozen=True)
class Fact:
    """One answer card, with the article sentences it rests on."""

    id: str
    topic: str
    treatment: str
    answer: str
    quotes: Tuple[str, ...]
    areas: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Knowledge:
    """Everything in the facts file."""

    treatments: Dict[str, str]
    topics: Dict[str, Topic]
    facts: Tuple[Fact, ...]
    gaps: Dict[str, str]
    referrals: Tuple[str, ...]

    def card(self, topic: str, treatment: str) -> Optional[Fact]:
        """Returns the answer card for a topic and treatment (botox, filler or both), if any."""
        return next((f for f in self.facts if f.topic == topic and f.treatment == treatment), None)

    def cards_for_area(self, topic: str, area: str) -> List[Fact]:
        """Returns the topic's cards that name a face area."""
        return [f for f in self.facts if f.topic == topic and area in f.areas]


def parse(document: dict) -> Knowledge:
    """Builds the knowledge from the facts file's parsed YAML."""
    return Knowledge(
        treatments=dict(document["treatments"]),
        topics={
            name: Topic(name, t["question"], t["label"], tuple(t["follow_ups"]))
            for name, t in document["topics"].items()
        },
        facts=tuple(
            Fact(
                id=f["id"],
                topic=f["topic"],
                treatment=f["treatment"],
                answer=f["answer"],
                quotes=tuple(f["quotes"]),
                areas=tuple(f.get("areas", ())),
            )
            for f in document["facts"]
        ),
        gaps=dict(document["gaps"]),
        referrals=tuple(document["referrals"]),
    )


@lru_cache(maxsize=None)
def load(path: Optional[Path] = None) -> Knowledge:
    """Reads the facts file once (knowledge/facts.yml unless another path is given)."""
    path = path or config.facts_path()
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")))
