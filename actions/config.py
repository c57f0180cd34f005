"""Settings from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from contract import PROJECT_ROOT


@dataclass(frozen=True)
class Clinic:
    """The clinic's contact details, shown in handoff, booking, scope and red-flag replies."""

    name: str
    phone: str
    booking_url: str


@lru_cache(maxsize=None)
def facts_path() -> Path:
    """Returns the facts file: FACTS_FILE, or knowledge/facts.yml."""
    return Path(os.environ.get("FACTS_FILE", PROJECT_ROOT / "knowledge" / "facts.yml"))


@lru_cache(maxsize=None)
def clinic() -> Clinic:
    """Reads the clinic's details from CLINIC_FILE, or clinic.yml."""
    path = Path(os.environ.get("CLINIC_FILE", PROJECT_ROOT / "clinic.yml"))
    details = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Clinic(**{key: str(value) for key, value in details.items()})
