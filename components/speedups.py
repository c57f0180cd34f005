"""Two fixes for Rasa 3.6 hot paths that cost more than the assistant's own work, applied on import.

Rasa imports this package in every process that loads the model (`rasa run`, `rasa shell`, `rasa
test`), so the fixes reach exactly the processes that answer patients. Both keep Rasa's behaviour.

1. `RemoteAction._validate_action_result` calls `jsonschema.validate`, which re-checks Rasa's own
   response schema against the JSON Schema meta-schema on every custom action call: about 20 ms per
   message on this machine, more than NLU and policies together. The schema never changes, so it is
   checked once and its validator reused.
2. `Event.resolve_by_type` walks every `Event` subclass (recursively, with `inspect.isabstract`) for
   each event the tracker store loads, so a reply's cost grew with the conversation's length. The
   type names are looked up in a table instead, rebuilt whenever a name is missing (a subclass
   imported later).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text, Type

import jsonschema
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_response_validator = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())(
    RemoteAction.action_response_format_spec()
)
_event_types: Dict[Text, Type[Event]] = {}


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


def apply() -> None:
    """Installs both fixes (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
