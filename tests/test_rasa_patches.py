"""The fixes in components/rasa_patches.py: the speed fixes keep Rasa's behaviour; the lock fix gives up."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.lock_store import InMemoryLockStore, LockError
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

import components  # noqa: F401  (applies the fixes)


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


async def test_a_message_whose_place_in_the_queue_expired_gives_up_instead_of_waiting_forever():
    store = InMemoryLockStore()
    store.issue_ticket("patient", lock_lifetime=60)  # a message being handled
    waiting = store.issue_ticket("patient", lock_lifetime=0.1)
    await asyncio.sleep(0.3)
    with pytest.raises(LockError):  # Rasa's own loop would wait until the web server's timeout
        await asyncio.wait_for(store._acquire_lock("patient", waiting, wait_time_in_seconds=0.05), timeout=5)


async def test_a_message_next_in_the_queue_gets_the_lock_when_the_first_is_done():
    store = InMemoryLockStore()
    first = store.issue_ticket("patient")
    second = store.issue_ticket("patient")
    store.cleanup("patient", first)
    lock = await asyncio.wait_for(
        store._acquire_lock("patient", second, wait_time_in_seconds=0.05), timeout=5
    )
    assert not lock.is_locked(second)
