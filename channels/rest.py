"""Rasa's REST channel (same URL, /webhooks/rest/webhook), refusing malformed requests with a 400.

Rasa's own channel files a request without a sender under the shared id "default", so strangers would
share one conversation, and it answers a message that is not text with silence. Here both are 400s.

A client may name each message with an optional `message_id` (up to 128 printable characters, unique in
its conversation). A message resent with the same id (after a timeout, or a replica that died before
answering) gets the replies the first one got, without being handled twice (components/rasa_patches.py).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from channels.checks import BadInput, checked_message, checked_sender
from components.rasa_patches import CLIENT_MESSAGE_ID


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

    def get_metadata(self, req: Request) -> Optional[Dict[Text, Any]]:
        """The client's optional id for the message, kept with it in the tracker store."""
        if not isinstance(req.json, dict) or req.json.get(CLIENT_MESSAGE_ID) is None:
            return None
        return {
            CLIENT_MESSAGE_ID: _field(req, CLIENT_MESSAGE_ID, lambda v: checked_sender(v, CLIENT_MESSAGE_ID))
        }
