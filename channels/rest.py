"""Rasa's REST channel (same URL, /webhooks/rest/webhook), refusing malformed requests with a 400.

Rasa's own channel files a request without a sender under the shared id "default", so strangers would
share one conversation, and it answers a message that is not text with silence. Here both are 400s.
"""

from __future__ import annotations

from typing import Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

MAX_SENDER_LENGTH = 128
MAX_MESSAGE_LENGTH = 20_000


def _body(req: Request) -> dict:
    if not isinstance(req.json, dict):
        raise InvalidUsage("The body must be a JSON object with 'sender' and 'message'.")
    return req.json


class ValidatedRestInput(RestInput):
    """The REST channel, with the sender id and message checked before Rasa sees them."""

    @classmethod
    def name(cls) -> Text:
        """Keeps Rasa's channel name, and so its URL."""
        return "rest"

    async def _extract_sender(self, req: Request) -> Text:
        sender = _body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip():
            raise InvalidUsage("'sender' must be a non-empty string identifying the conversation.")
        if len(sender) > MAX_SENDER_LENGTH or not sender.isprintable():
            raise InvalidUsage(f"'sender' must be at most {MAX_SENDER_LENGTH} printable characters.")
        return sender

    def _extract_message(self, req: Request) -> Text:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string.")
        if len(message) > MAX_MESSAGE_LENGTH:
            raise InvalidUsage(f"'message' must be at most {MAX_MESSAGE_LENGTH} characters.")
        return message
