"""Fixes to Rasa 3.6 that this assistant depends on, applied when Rasa imports this package.

Rasa imports `components` in every process that loads the model (`rasa run`, `rasa shell`, `rasa
test`), so the fixes reach exactly the processes that answer patients.

Speed (Rasa's behaviour kept):

1. `RemoteAction._validate_action_result` calls `jsonschema.validate`, which re-checks Rasa's own
   response schema against the JSON Schema meta-schema on every custom action call: about 20 ms per
   message on this machine, more than NLU and policies together. The schema never changes, so it is
   checked once and its validator reused.
2. `Event.resolve_by_type` walks every `Event` subclass (recursively, with `inspect.isabstract`) for
   each event the tracker store loads, so a reply's cost grew with the conversation's length. The
   type names are looked up in a table instead, rebuilt whenever a name is missing (a subclass
   imported later).

Resilience:

3. When the action server cannot be reached or fails, Rasa logs the error and the patient gets no
   reply at all. The patient gets `utter_action_unavailable` instead; answers resume as soon as the
   action server is back. (Red flags never depend on it: their urgent-care reply is a rule response.)
4. When a message cannot have its conversation's lock (too many of its messages queued at once, or a
   crashed replica's lock not yet expired), Rasa drops it and the REST channel answers an empty list.
   The patient gets `utter_action_unavailable` instead, asking to try again. And a message whose place
   in the queue expired while it waited gives up then: Rasa would wait on for a turn that never comes,
   until the web server's timeout (60 s) cancels it, again with an empty answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text, Type

import jsonschema
import rasa.shared.utils.common
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, LockStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

ACTION_UNAVAILABLE_RESPONSE = "utter_action_unavailable"

_response_schema = RemoteAction.action_response_format_spec()
_response_validator = jsonschema.validators.validator_for(_response_schema)(_response_schema)
_event_types: Dict[Text, Type[Event]] = {}
_run_remote_action = RemoteAction.run
_handle_message = Agent.handle_message
logger = logging.getLogger(__name__)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _response_validator.validate(result)
        return True
    except jsonschema.ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def _resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    if type_name not in _event_types:
        _event_types.update(
            {cls.type_name: cls for cls in reversed(rasa.shared.utils.common.all_subclasses(Event))}
        )
    if type_name in _event_types:
        return _event_types[type_name]
    if type_name == "topic":
        return None  # as Rasa does: old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


async def _run_or_apologise(self: RemoteAction, output_channel, nlg, tracker, domain) -> List[Event]:
    try:
        return await _run_remote_action(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException:  # Rasa has logged the cause: connection refused, a timeout, an HTTP error
        message = await nlg.generate(ACTION_UNAVAILABLE_RESPONSE, tracker, output_channel.name())
        return [create_bot_utterance(message)] if message else []


async def _acquire_lock_while_queued(
    self: LockStore, conversation_id: Text, ticket: int, wait_time_in_seconds: float
) -> TicketLock:
    while True:
        lock = self.get_lock(conversation_id)
        if lock is None:
            break
        if not lock.is_locked(ticket):
            return lock
        lock.remove_expired_tickets()
        if all(queued.number != ticket for queued in lock.tickets):
            break  # this message's place in the queue has expired
        await asyncio.sleep(wait_time_in_seconds)
        self.update_lock(conversation_id)
    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")


async def _handle_or_apologise(self: Agent, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    try:
        return await _handle_message(self, message)
    except LockError as error:
        logger.error("Message of conversation %s not handled: %s", message.sender_id, error)
        tracker = DialogueStateTracker(message.sender_id, [])
        response = await self.processor.nlg.generate(
            ACTION_UNAVAILABLE_RESPONSE, tracker, message.input_channel
        )
        if response and message.output_channel:
            await message.output_channel.send_response(message.sender_id, response)
        return None


def apply() -> None:
    """Installs the fixes (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.run = _run_or_apologise
    Agent.handle_message = _handle_or_apologise
    LockStore._acquire_lock = _acquire_lock_while_queued
    Event.resolve_by_type = staticmethod(_resolve_by_type)
