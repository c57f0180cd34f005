"""Rasa's REST channel (same URL, /webhooks/rest/webhook), refusing malformed requests with a 400.

Rasa's own channel files a request without a sender under the shared id "default", so strangers would
share one conversation, and it answers a message that is not text with silence. Here both are 400s.
"""

from __future__ import annotations

from typing import Any, Callable, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from channels.checks import BadInput, checked_message, checked_sender


def _field(req: Request, name: str, check: Callable[[Any], str]) -> str:
    if not isinstance(req.json, dict):
        raise InvalidUsage("The body must be a JSON object with 'sender' and 'message'.")
    try:
        return check(req.json.get(name))
    except BadInput as error:
        raise InvalidUsage(str(error)) from error


class ValidatedRestInput(RestInput):
    """The REST channel, with the sender id and message checked before Rasa sees them."""

    @classmethod
    def name(cls) -> Text:
        """Keeps Rasa's channel name, and so its URL."""
        return "rest"

    async def _extract_sender(self, req: Request) -> Text:
        return _field(req, "sender", checked_sender)

    def _extract_message(self, req: Request) -> Text:
        return _field(req, "message", checked_message)
