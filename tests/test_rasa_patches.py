"""The fixes in components/rasa_patches.py: the speed fixes keep Rasa's behaviour."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

import components  # noqa: F401  (applies the fixes)

pytestmark = pytest.mark.unit


def test_a_valid_action_result_passes_and_an_invalid_one_is_rejected_as_before():
    action = RemoteAction("action_answer_question", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "hi"}]})
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_event_types_resolve_as_before():
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")
