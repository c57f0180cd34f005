"""Redaction of personal details in exported text: emails, phone numbers, long digit runs, addresses."""

from __future__ import annotations

import hashlib
import re

# Order matters: an email or a phone number is replaced before its digits could count as a digit run.
PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{6,}\d"), "[phone]"),
    (re.compile(r"\d{5,}"), "[number]"),
    (
        re.compile(
            r"\b\d{1,5}[a-z]?\s+(?:[A-Za-z'-]+\s+){0,3}"
            r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|"
            r"terrace|close|crescent|square|sq|highway|hwy|parkway|pkwy)\b\.?",
            re.IGNORECASE,
        ),
        "[address]",
    ),
)


def redact(text: str) -> str:
    """Returns `text` with personal details replaced by placeholders like [email]."""
    for pattern, placeholder in PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def pseudonym(sender_id: str) -> str:
    """A stable stand-in for a conversation id, which may itself be an email or a phone number."""
    return "conversation-" + hashlib.sha256(sender_id.encode()).hexdigest()[:16]
