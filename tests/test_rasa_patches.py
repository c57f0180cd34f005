"""The fixes in components/rasa_patches.py: the speed fixes keep Rasa's behaviour."""

from __future__ import annotations

import jsonschema
import pytest
import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

import components  # noqa: F401  (applies the fixes)
from components import rasa_patches

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


def test_the_fixes_were_written_for_the_installed_rasa():
    """Fails when an upgrade changes Rasa's version or a replaced function's parameters."""
    assert rasa_patches.mismatches() == []


def test_the_fixes_refuse_a_rasa_release_they_were_not_written_for(monkeypatch):
    monkeypatch.setattr(rasa_patches, "RASA_VERSION", "3.6.0")
    assert rasa_patches.mismatches() == [f"Rasa {rasa.__version__}, not 3.6.0"]
    with pytest.raises(rasa_patches.UnexpectedRasa, match="check each fix"):
        rasa_patches.apply()
