"""Fixes to Rasa 3.6 that this assistant depends on, applied when Rasa imports this package.

Rasa imports `components` in every process that loads the model (`rasa run`, `rasa shell`, `rasa
test`), so the fixes reach exactly the processes that answer patients. They were written for one Rasa
release (`RASA_VERSION`): on another, or when a replaced function's parameters change, `apply` refuses
and names what differs (`REPLACED`, tests/test_rasa_patches.py).

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
4. When a message cannot have its conversation's lock (the lock store unreachable, or its ticket's
   lease lapsed while the server stalled: stores/lock_store.py), Rasa drops it and the REST channel
   answers an empty list. The patient gets `utter_action_unavailable` instead, asking to try again.
5. A client that resends a message after a failure (a replica that died before answering) would have it
   handled twice if the first try had been saved. A message that carries a client `message_id` in its
   metadata (channels/rest.py) and is already in the conversation is answered with the replies it got
   then, and not handled again.

Input:

6. Rasa reads a message that starts with `/` as an intent with its confidence and entities
   (`/report_red_flag`, `/greet@0.01`, `/inform_treatment{"treatment": "…"}`), from any patient, which
   set flags and the dashboard's figures from typed text. Such a message is read as an intent only when
   it is exactly the payload of a button the assistant offered in that conversation, or `/greet`, with
   which the widget opens a conversation (it sets no flag); otherwise its slashes are read as spaces
   and the words go through the NLU like any other text.

Terminal:

7. `rasa shell` turns the last reply's buttons into an arrow-key menu, so the next line a developer types
   picks the first button instead of being sent. The follow-ups are listed as text after the reply
   instead, and typing just works (the widget keeps its buttons).
"""

from __future__ import annotations

import copy
import inspect
import logging
from typing import Any, Dict, List, Optional, Set, Text, Type

import jsonschema
import rasa
import rasa.shared.utils.cli
import rasa.shared.utils.common
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.agent import Agent
from rasa.core.channels import console
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DOCS_BASE_URL, INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.utils.io import bcolors

ACTION_UNAVAILABLE_RESPONSE = "utter_action_unavailable"
# the metadata field of a patient message that names it for the client (channels/rest.py)
CLIENT_MESSAGE_ID = "message_id"

_response_schema = RemoteAction.action_response_format_spec()
_response_validator = jsonschema.validators.validator_for(_response_schema)(_response_schema)
_event_types: Dict[Text, Type[Event]] = {}
_run_remote_action = RemoteAction.run
_handle_message = Agent.handle_message
_process_message = MessageProcessor.handle_message
_parse_message = MessageProcessor.parse_message
_validate_action_result_original = RemoteAction._validate_action_result
_resolve_by_type_original = Event.resolve_by_type
_print_console_output = console._print_bot_output
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


def replies_to(tracker: DialogueStateTracker, client_message_id: Text) -> Optional[List[Dict[Text, Any]]]:
    """The replies the conversation gave the message with this client id; None if it never had it."""
    replies: Optional[List[Dict[Text, Any]]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if (event.metadata or {}).get(CLIENT_MESSAGE_ID) == client_message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            replies.append(event.message())
    return replies


async def _process_once(self: MessageProcessor, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    client_message_id = (message.metadata or {}).get(CLIENT_MESSAGE_ID)
    if client_message_id:  # runs inside the conversation's lock, like the handling it replaces
        tracker = await self.tracker_store.retrieve(message.sender_id)
        replies = replies_to(tracker, client_message_id) if tracker else None
        if replies is not None:
            for reply in replies:
                await message.output_channel.send_response(message.sender_id, reply)
            return getattr(message.output_channel, "messages", None)
    return await _process_message(self, message)


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


# the widget opens a conversation with it (widget/src/clinic-chat.js)
OPENING_PAYLOAD = "/greet"


def offered_payloads(tracker: Optional[DialogueStateTracker]) -> Set[Text]:
    """The payloads a client may send: every button the assistant has offered, and the opening one."""
    events = tracker.events if tracker is not None else []
    return {OPENING_PAYLOAD} | {
        str(button.get("payload"))
        for event in events
        if isinstance(event, BotUttered)
        for button in (event.data.get("buttons") or []) + (event.data.get("quick_replies") or [])
        if isinstance(button, dict)
    }


def as_words(text: Text) -> Text:
    """`text` with its leading slashes turned into spaces: the same length, so entity offsets hold."""
    body = text.lstrip()
    slashes = len(body) - len(body.lstrip(INTENT_MESSAGE_PREFIX))
    return text[: len(text) - len(body)] + " " * slashes + body[slashes:]


async def _parse_offered_payloads_only(
    self: MessageProcessor,
    message: UserMessage,
    tracker: Optional[DialogueStateTracker] = None,
    only_output_properties: bool = True,
) -> Dict[Text, Any]:
    text = message.text or ""
    if not text.strip().startswith(INTENT_MESSAGE_PREFIX) or text.strip() in offered_payloads(tracker):
        return await _parse_message(self, message, tracker, only_output_properties)
    typed = copy.copy(message)
    typed.text = as_words(text)
    parse_data = await _parse_message(self, typed, tracker, only_output_properties)
    parse_data[TEXT] = text
    return parse_data


def _print_follow_ups_as_text(
    message: Dict[Text, Any], is_latest_message: bool = False, color: Text = bcolors.OKBLUE
) -> None:
    _print_console_output({k: v for k, v in message.items() if k != "buttons"}, color=color)
    if message.get("buttons"):
        titles = "; ".join(button["title"] for button in message["buttons"])
        rasa.shared.utils.cli.print_color(f"You could also ask: {titles}", color=color)


# The Rasa release these fixes were written and tested for (requirements.in pins it)
RASA_VERSION = "3.6.21"
# Each replaced Rasa function (as it was before the fixes), and the parameters its replacement expects it
# to take: a release that changes one must be looked at again, not patched blindly.
REPLACED = (
    (_validate_action_result_original, ("self", "result")),
    (_run_remote_action, ("self", "output_channel", "nlg", "tracker", "domain")),
    (_handle_message, ("self", "message")),
    (_process_message, ("self", "message")),
    (_parse_message, ("self", "message", "tracker", "only_output_properties")),
    (_resolve_by_type_original, ("type_name", "default")),
    (_print_console_output, ("message", "is_latest_message", "color")),
)


class UnexpectedRasa(RuntimeError):
    """The installed Rasa is not the release the fixes were written for."""


def mismatches() -> List[Text]:
    """What differs between the installed Rasa and the one the fixes expect (nothing, as pinned)."""
    found = [] if rasa.__version__ == RASA_VERSION else [f"Rasa {rasa.__version__}, not {RASA_VERSION}"]
    for function, parameters in REPLACED:
        actual = tuple(inspect.signature(function).parameters)
        if actual != parameters:
            found.append(f"{function.__qualname__}{actual}, not {parameters}")
    return found


def apply() -> None:
    """Installs the fixes (idempotent); refuses to on a Rasa release they were not written for."""
    if mismatches():
        raise UnexpectedRasa(
            "components/rasa_patches.py replaces Rasa internals written for Rasa "
            f"{RASA_VERSION}; check each fix against this release first: {'; '.join(mismatches())}"
        )
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.run = _run_or_apologise
    Agent.handle_message = _handle_or_apologise
    MessageProcessor.handle_message = _process_once
    MessageProcessor.parse_message = _parse_offered_payloads_only
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    console._print_bot_output = _print_follow_ups_as_text
