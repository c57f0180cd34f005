"""The review app's settings, from the environment in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from stores.locations import configured_tracker_store_url

PSEUDONYM_KEY_VARIABLE = "REVIEW_PSEUDONYM_KEY"
MIN_PSEUDONYM_KEY_LENGTH = 16


@dataclass(frozen=True)
class Settings:
    """Everything the review app can be told."""

    database_url: str
    secret_key: str
    low_confidence: float
    secure_cookies: bool
    session_hours: float
    # a session unused this long ends (REVIEW_IDLE_MINUTES); `session_hours` ends any session
    idle_minutes: float = 30
    # keys the pseudonyms of redacted exports (REVIEW_PSEUDONYM_KEY); the app won't start without it
    pseudonym_key: bytes = b""
    page_size: int = 50


def settings() -> Settings:
    """Reads the settings. Without REVIEW_SECRET_KEY, sessions last until the app restarts."""
    return Settings(
        database_url=configured_tracker_store_url().render_as_string(hide_password=False),
        secret_key=os.environ.get("REVIEW_SECRET_KEY") or secrets.token_urlsafe(32),
        low_confidence=float(os.environ.get("REVIEW_LOW_CONFIDENCE", "0.6")),
        secure_cookies=os.environ.get("REVIEW_SECURE_COOKIES", "false").lower() == "true",
        session_hours=float(os.environ.get("REVIEW_SESSION_HOURS", "8")),
        idle_minutes=float(os.environ.get("REVIEW_IDLE_MINUTES", "30")),
        pseudonym_key=os.environ.get(PSEUDONYM_KEY_VARIABLE, "").encode(),
    )


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
