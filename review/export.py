"""Exports of conversations as CSV (a row per message) or JSON (a conversation per object).

Personal details are redacted unless asked otherwise: message text goes through `redact`, and the
conversation id (which a REST client may have set to an email or a phone number) becomes a keyed
pseudonym.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, List, Mapping, Tuple

from review.queries import Message, flags_of
from review.redact import pseudonym, redact

FORMATS = ("csv", "json")
CSV_COLUMNS = [
    "conversation", "started_at", "channel", "flags", "message_at", "speaker", "text",
    "intent", "confidence", "treatment", "facts",
]  # fmt: skip


# A formula sign at the start of the cell or of any piece a spreadsheet might split it into (at a
# semicolon, tab, comma or line break, as some locales and paste-imports do).
FORMULA = re.compile(r"(?:^|[;,\t\r\n|])\s*[=+\-@]|^[\t\r]")


def cell(value: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if FORMULA.search(value) else value


def iso(timestamp: float) -> str:
    """A Rasa timestamp as ISO 8601 in UTC."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def _conversation(
    summary: Mapping[str, Any], messages: List[Message], low_confidence: float, pseudonym_key: bytes | None
) -> dict:
    sender_id = summary["sender_id"]
    clean = str if pseudonym_key is None else redact
    return {
        "conversation": sender_id if pseudonym_key is None else pseudonym(sender_id, pseudonym_key),
        "started_at": iso(summary["started_at"]),
        "channel": summary["channel"],
        "flags": flags_of(summary, low_confidence),
        "messages": [
            {
                "at": iso(m.at),
                "speaker": m.speaker,
                "text": clean(m.text),
                "intent": m.details.get("intent"),
                "confidence": m.details.get("confidence"),
                "treatment": m.details.get("treatment"),
                "facts": m.details.get("facts") or [],
            }
            for m in messages
        ],
    }


def render(
    conversations: Iterable[Tuple[Mapping[str, Any], List[Message]]],
    fmt: str,
    low_confidence: float,
    pseudonym_key: bytes | None,
) -> Iterator[str]:
    """Yields the export in pieces, so that a large one streams; redacted unless `pseudonym_key` is None."""
    items = (_conversation(s, m, low_confidence, pseudonym_key) for s, m in conversations)
    if fmt == "json":
        yield "["
        for index, item in enumerate(items):
            yield ("," if index else "") + "\n" + json.dumps(item, ensure_ascii=False)
        yield "\n]\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)  # a separator inside a cell stays inside it
    writer.writerow(CSV_COLUMNS)
    for item in items:
        for message in item["messages"]:
            cells = [
                item["conversation"],
                item["started_at"],
                item["channel"] or "",
                " ".join(item["flags"]),
                message["at"],
                message["speaker"],
                message["text"],
                message["intent"] or "",
                "" if message["confidence"] is None else f"{message['confidence']:.3f}",
                message["treatment"] or "",
                " ".join(message["facts"]),
            ]
            writer.writerow([cell(value) for value in cells])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
