"""Rasa's socket.io channel for the website widget, with exact CORS origins and checked input.

Rasa 3.6's channel accepts websocket connections from any web page, lets a malformed event raise inside
the server, and calls `enter_room` without awaiting it (a coroutine in newer python-socketio). This one
keeps Rasa's events (`session_request`, `session_confirm`, `user_uttered`, `bot_uttered`) and wraps or
replaces their handlers: a web page must be on an allowed origin, and a refused event gets an
`input_error` event back instead of silence, naming the refused event.

A conversation belongs to the tab that started it. Rasa's channel lets any client join a conversation
by naming its id in `session_request`, and then receive its replies and speak in it. Here
`session_confirm` carries the id with a token (an HMAC of it, keyed by WIDGET_SESSION_SECRET), which
the widget keeps in the tab's sessionStorage; a `session_request` for an id without its token gets a
fresh conversation, and a connection speaks only in the conversation it was confirmed.

A patient may rate an informational answer (one the custom actions wrote from the article): the last
`bot_uttered` message of such an answer carries `informational: true` and the answer's whole text.
`feedback_given` ({"session_id", "answer": that text, contract.HELPFUL_KEY: true or false}) appends a
slot event to the conversation in the tracker store, the only place conversations are kept, and
`feedback_received` tells the widget it was stored.

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

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.core.lock_store import LockError
from rasa.shared.core.events import BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

from channels.checks import BadInput, checked_feedback, checked_message, checked_sender
from contract import ANSWER_AT_KEY, ANSWER_FEEDBACK_SLOT, FACTS_KEY, GAPS_KEY, HELPFUL_KEY

logger = logging.getLogger(__name__)

# The widget's rating of an answer, and the reply saying it was stored
FEEDBACK_EVENT = "feedback_given"
FEEDBACK_STORED_EVENT = "feedback_received"


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


def is_informational(metadata: Dict[str, Any]) -> bool:
    """True for an answer from the article: the custom actions list the facts it cites or its gaps."""
    return bool(metadata.get(FACTS_KEY) or metadata.get(GAPS_KEY))


def last_answer(tracker: DialogueStateTracker, text: str) -> Optional[BotUttered]:
    """The conversation's latest informational answer with exactly this text, or None."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered) and event.text == text and is_informational(event.metadata or {}):
            return event
    return None


class AnswerMarkingSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, marking the informational answers for the widget's feedback buttons.

    Rasa sends each paragraph of a reply as a message of its own and drops the reply's metadata. Here
    the last message of an informational answer also carries `informational: true` and `answer`, the
    reply's whole text, which the widget sends back with the rating; the facts and gaps stay here.
    """

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Sends the text as Rasa does, marking an informational answer."""
        if is_informational(kwargs):
            await self._send_answer(recipient_id, text, [])
        else:
            await super().send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        """Sends the text and its buttons as Rasa does, marking an informational answer."""
        if is_informational(kwargs):
            await self._send_answer(recipient_id, text, buttons)
        else:
            await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def _send_answer(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]]) -> None:
        messages: List[Dict[str, Any]] = [{"text": part} for part in text.strip().split("\n\n")]
        messages[-1].update(informational=True, answer=text)
        if buttons:
            messages[-1]["quick_replies"] = [
                {"content_type": "text", "title": button["title"], "payload": button["payload"]}
                for button in buttons
            ]
        for message in messages:
            await self._send_message(recipient_id, message)


class ValidatedSocketIOInput(SocketIOInput):
    """The socket.io channel, with origins restricted and every event checked before Rasa sees it."""

    @classmethod
    def name(cls) -> Text:
        """Keeps Rasa's channel name, and so its path (/socket.io) and the tracker's input channel."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint: origins set, session and message handlers replaced, answer feedback added."""
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        origins = allowed_origins()
        rasa_connect = sio.handlers[self.namespace or "/"]["connect"]
        secret = session_secret()
        confirmed: Dict[str, str] = {}  # socket.io connection -> the conversation it was confirmed
        servers: List[Sanic] = []  # Rasa's server once it starts: it holds the agent (app.ctx.agent)

        @socketio_webhook.listener("before_server_start")
        async def keep_server(app: Sanic, _: Any) -> None:
            servers.append(app)

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin is not None and origin not in origins:
                logger.info("Refused a socket.io connection from the web page origin %r.", origin)
                return False
            return await rasa_connect(sid, environ, auth)

        async def refuse(sid: Text, event: Text, error: BadInput) -> None:
            logger.info("Refused a socket.io %s event from %s: %s", event, sid, error)
            refusal = {"error": str(error), "event": event}
            await sio.emit("input_error", refusal, room=sid, namespace=self.namespace)

        def own_conversation(sid: Text, event: Dict[str, Any]) -> str:
            """The conversation the event names, if this connection was confirmed in it; else BadInput."""
            named = checked_sender(event.get("session_id")) if self.session_persistence else sid
            sender = confirmed.get(sid) if self.session_persistence else sid
            if sender != named:
                raise BadInput("Ask for a session first: this connection may speak only in its own.")
            return named

        async def session_request(sid: Text, data: Any) -> None:
            try:
                event = _event(data)
                requested = event.get("session_id")
                requested = None if requested is None else checked_sender(requested)
            except BadInput as error:
                await refuse(sid, "session_request", error)
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
                sender = own_conversation(sid, event)
            except BadInput as error:
                await refuse(sid, self.user_message_evt, error)
                return
            metadata = event.get(self.metadata_key)
            message = UserMessage(
                text,
                AnswerMarkingSocketIOOutput(sio, self.bot_message_evt),
                sender,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            await on_new_message(message)

        async def store_feedback(conversation_id: str, answer: str, helpful: bool) -> None:
            """Appends the rating to the conversation, under its lock as Rasa's agent handles a message."""
            agent: Agent = servers[-1].ctx.agent
            try:
                async with agent.lock_store.lock(conversation_id):
                    tracker = await agent.tracker_store.retrieve(conversation_id)
                    rated = last_answer(tracker, answer) if tracker else None
                    if tracker is None or rated is None:
                        raise BadInput("'answer' must be an answer the assistant gave in this conversation.")
                    rating = {HELPFUL_KEY: helpful, ANSWER_AT_KEY: rated.timestamp}
                    tracker.update(SlotSet(ANSWER_FEEDBACK_SLOT, rating))
                    await agent.tracker_store.save(tracker)
            except LockError as error:  # the lock store unreachable, or the conversation stuck
                logger.error("Feedback in conversation %s not stored: %s", conversation_id, error)
                raise BadInput("The feedback could not be stored now: please try again.") from error

        async def give_feedback(sid: Text, data: Any) -> None:
            try:
                event = _event(data)
                answer, helpful = checked_feedback(event.get("answer"), event.get(HELPFUL_KEY))
                conversation_id = own_conversation(sid, event)
                await store_feedback(conversation_id, answer, helpful)
            except BadInput as error:
                await refuse(sid, FEEDBACK_EVENT, error)
                return
            stored = {"answer": answer, HELPFUL_KEY: helpful}
            await sio.emit(FEEDBACK_STORED_EVENT, stored, room=sid, namespace=self.namespace)

        sio.on("connect", connect, namespace=self.namespace)
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on("disconnect", disconnect, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        sio.on(FEEDBACK_EVENT, give_feedback, namespace=self.namespace)
        return socketio_webhook
