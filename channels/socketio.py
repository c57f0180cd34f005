"""Rasa's socket.io channel for the website widget, with exact CORS origins and checked input.

Rasa 3.6's channel accepts websocket connections from any web page, lets a malformed event raise inside
the server, and calls `enter_room` without awaiting it (a coroutine in newer python-socketio). This one
keeps Rasa's events (`session_request`, `session_confirm`, `user_uttered`, `bot_uttered`) and wraps or
replaces their handlers: a web page must be on an allowed origin, and a refused event gets an
`input_error` event back instead of silence.

A conversation belongs to the tab that started it. Rasa's channel lets any client join a conversation
by naming its id in `session_request`, and then receive its replies and speak in it. Here
`session_confirm` carries the id with a token (an HMAC of it, keyed by WIDGET_SESSION_SECRET), which
the widget keeps in the tab's sessionStorage; a `session_request` for an id without its token gets a
fresh conversation, and a connection speaks only in the conversation it was confirmed.

CORS headers for long-polling come from Rasa's own CORS setting (`rasa run --cors`, the same origins):
engine.io adding its own too would send the header twice, which browsers reject.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
import os
import secrets
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from channels.checks import BadInput, checked_message, checked_sender

logger = logging.getLogger(__name__)


def allowed_origins() -> List[str]:
    """The web pages allowed to connect: CORS_ORIGINS, exact origins separated by spaces (none by default).

    Clients that are not web pages send no Origin header and are not affected.
    """
    return os.environ.get("CORS_ORIGINS", "").split()


SESSION_SECRET_VARIABLE = "WIDGET_SESSION_SECRET"


def session_secret() -> bytes:
    """The key of conversation tokens: WIDGET_SESSION_SECRET, the same on every replica.

    `make run` keeps one in var/. Without it, a key of this process's own: a restart starts new
    conversations.
    """
    secret = os.environ.get(SESSION_SECRET_VARIABLE, "")
    if not secret:
        logger.warning("%s is not set: widget conversations end at a restart.", SESSION_SECRET_VARIABLE)
        return secrets.token_bytes(32)
    return secret.encode()


def session_token(secret: bytes, session_id: str) -> str:
    """The proof that a client was given conversation `session_id`."""
    return hmac.new(secret, session_id.encode(), hashlib.sha256).hexdigest()


def _event(data: Any) -> Dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput("The event's data must be a JSON object.")
    return data


class ValidatedSocketIOInput(SocketIOInput):
    """The socket.io channel, with origins restricted and every event checked before Rasa sees it."""

    @classmethod
    def name(cls) -> Text:
        """Keeps Rasa's channel name, and so its path (/socket.io) and the tracker's input channel."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with its origins set and its session and message handlers replaced."""
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        origins = allowed_origins()
        rasa_connect = sio.handlers[self.namespace or "/"]["connect"]
        secret = session_secret()
        confirmed: Dict[str, str] = {}  # socket.io connection -> the conversation it was confirmed

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin is not None and origin not in origins:
                logger.info("Refused a socket.io connection from the web page origin %r.", origin)
                return False
            return await rasa_connect(sid, environ, auth)

        async def refuse(sid: Text, error: BadInput) -> None:
            logger.info("Refused a socket.io event from %s: %s", sid, error)
            await sio.emit("input_error", {"error": str(error)}, room=sid, namespace=self.namespace)

        async def session_request(sid: Text, data: Any) -> None:
            try:
                event = _event(data)
                requested = event.get("session_id")
                requested = None if requested is None else checked_sender(requested)
            except BadInput as error:
                await refuse(sid, error)
                return
            token = event.get("session_token")
            if (
                requested
                and isinstance(token, str)
                and hmac.compare_digest(token, session_token(secret, requested))
            ):
                session_id = requested  # the same tab, after a reload or a reconnect
            else:
                session_id = uuid.uuid4().hex  # naming someone else's conversation doesn't open it
            previous = confirmed.get(sid)
            if previous and previous != session_id and self.session_persistence:
                left = sio.leave_room(sid, previous, namespace=self.namespace)
                if inspect.isawaitable(left):
                    await left
            confirmed[sid] = session_id
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):
                    await joined
            confirmation = {"session_id": session_id, "session_token": session_token(secret, session_id)}
            await sio.emit("session_confirm", confirmation, room=sid, namespace=self.namespace)

        async def disconnect(sid: Text) -> None:
            confirmed.pop(sid, None)

        async def handle_message(sid: Text, data: Any) -> None:
            try:
                event = _event(data)
                text = checked_message(event.get("message"))
                named = checked_sender(event.get("session_id")) if self.session_persistence else sid
                sender = confirmed.get(sid) if self.session_persistence else sid
                if sender != named:
                    raise BadInput("Ask for a session first: this connection may speak only in its own.")
            except BadInput as error:
                await refuse(sid, error)
                return
            metadata = event.get(self.metadata_key)
            message = UserMessage(
                text,
                SocketIOOutput(sio, self.bot_message_evt),
                sender,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            await on_new_message(message)

        sio.on("connect", connect, namespace=self.namespace)
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on("disconnect", disconnect, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return socketio_webhook
