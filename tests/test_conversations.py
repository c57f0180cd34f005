"""Conversations with the real, trained assistant over REST, kept in a real SQLite tracker store."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid

import pytest
import requests

from actions.numbers import allowed_numbers, numbers_in
from tests.harness import servers

QUALIFIED = "qualified medical professional"
NOTICE = "I can't diagnose or give personal medical advice"
URGENT = "call 911 or go to the nearest emergency department"


def texts(messages) -> list[str]:
    return [m.get("text", "") for m in messages]


def answer_text(messages) -> str:
    """The reply without the once-per-conversation notice."""
    return "\n".join(t for t in texts(messages) if NOTICE not in t)


def test_how_long_does_botox_last(chat):
    messages = chat("How long does Botox last?")
    assert NOTICE in texts(messages)[0]
    answer = answer_text(messages)
    assert "three to four months" in answer
    assert QUALIFIED in answer
    assert numbers_in(answer) <= allowed_numbers()


def test_the_notice_is_shown_once_per_conversation(chat):
    assert NOTICE in " ".join(texts(chat("hi")))
    assert NOTICE not in " ".join(texts(chat("what is botox")))


def test_follow_ups_keep_the_treatment_and_the_topic(chat):
    assert "protein produced by the bacterium" in answer_text(chat("what is botox?"))
    assert "three to four months" in answer_text(chat("how long does it last?"))
    fillers = answer_text(chat("and fillers?"))
    assert "three to twelve months" in fillers and "two years" in fillers


def test_a_question_about_neither_treatment_answers_both_side_by_side(chat):
    answer = answer_text(chat("how long do the results last"))
    assert "Botox: " in answer and "Dermal fillers: " in answer


@pytest.mark.parametrize(
    "message, expected",
    [
        ("wat r fillers", "substances injected into or just under the skin"),
        ("how long dose botox last", "three to four months"),
        ("whats the difference between botox and juvederm", "Botox relaxes the muscles"),
        ("is botox for dynamic or static wrinkles", "dynamic wrinkles"),
        ("will fillers stop me aging", "cannot stop the natural aging process"),
        ("can I combine botox and fillers", "used in combination"),
        ("how much does Dysport cost", "doesn't give prices"),
        ("am i a good candidate for fillers", "age, lifestyle and overall health"),
        ("are fillers natural or synthetic", "Some fillers are natural"),
        ("can i get lip filler and where else", "lips and cheeks"),
    ],
)
def test_answers_come_from_the_article_with_a_referral(chat, message, expected):
    answer = answer_text(chat(message))
    assert expected in answer
    assert QUALIFIED in answer
    assert numbers_in(answer) <= allowed_numbers()


@pytest.mark.parametrize(
    "message, gap",
    [
        ("how many units of botox do i need for my forehead", "how many units"),
        ("can i have fillers while pregnant", "pregnancy"),
        ("does botox hurt", "hurts"),
        ("how much downtime after filler", "downtime"),
        ("can filler be dissolved", "reversed or dissolved"),
    ],
)
def test_where_the_article_is_silent_the_assistant_says_so(chat, message, gap):
    answer = answer_text(chat(message))
    assert "doesn't cover" in answer and gap in answer
    assert QUALIFIED in answer
    assert numbers_in(answer) <= allowed_numbers()


@pytest.mark.parametrize(
    "message",
    [
        "I had filler yesterday and now part of my lip has turned white",
        "my eyelid is drooping since the botox, also how long does it last?",
        "can't swallow properly after botox",
        "my vision is blurry after the injections",
        "help, I think I'm having an allergic reaction to the filler",
    ],
)
def test_red_flags_get_urgent_care_first(chat, message, database):
    messages = chat(message)
    assert URGENT in texts(messages)[0]


def test_a_red_flag_is_marked_in_the_tracker_store(chat, sender, database):
    chat("my lips went blue after filler")
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot'", (sender,)
        ).fetchall()
    assert any('"name": "red_flag", "value": true' in data for (data,) in rows)


def test_off_topic_questions_get_a_scope_statement_and_the_clinic(chat):
    answer = answer_text(chat("do you do semaglutide weight loss?"))
    assert "only help with questions about Botox and dermal fillers" in answer
    assert re.search(r"\(555\) 010-0100", answer)


def test_asking_for_a_person_or_a_booking_gives_the_clinics_contact(chat):
    assert "clinic.example/book" in answer_text(chat("can I talk to a real person?"))
    assert "clinic.example/book" in answer_text(chat("I'd like to book a consultation"))


def test_gibberish_asks_did_you_mean_with_a_way_to_the_clinic(chat):
    messages = chat("blorf snazzle quux")
    buttons = [b["payload"] for m in messages for b in m.get("buttons", [])]
    assert "/request_human" in buttons


def test_conversations_do_not_leak_into_each_other(chat):
    other = f"test-{uuid.uuid4()}"
    chat("tell me about fillers")
    answer = answer_text(chat("how long does it last?", conversation=other))
    assert "Botox: " in answer and "Dermal fillers: " in answer


@pytest.mark.parametrize(
    "message",
    ["", "   ", "a" * 10_000, "😀😀😀", "¿Cuánto dura el bótox?", "<script>alert(1)</script>", "Ботокс?"],
    ids=["empty", "spaces", "10k", "emoji", "spanish", "html", "cyrillic"],
)
def test_odd_input_gets_a_clear_reply(chat, message):
    messages = chat(message)
    assert messages and all(m.get("text") for m in messages)


def test_conversations_are_kept_in_the_sqlite_tracker_store(chat, sender, database):
    chat("what are fillers")
    with sqlite3.connect(database) as db:
        types = [t for (t,) in db.execute("SELECT type_name FROM events WHERE sender_id = ?", (sender,))]
    assert types.count("user") == 1 and "bot" in types and "action" in types


def test_with_the_action_server_down_patients_are_told_and_red_flags_still_get_urgent_care(workdir):
    port = servers.free_port()
    with servers.rasa_server(workdir, workdir / "outage.db", f"http://127.0.0.1:{port}/webhook") as rasa:
        assert URGENT in texts(servers.say(rasa.url, "red-flag", "my lip went white after filler"))[0]
        outage = servers.say(rasa.url, "patient", "How long does Botox last?")
        assert "can't look that up right now" in " ".join(texts(outage))
        with servers.action_server(workdir, port=port):
            back = servers.say(rasa.url, "patient", "How long does Botox last?")
            assert "three to four months" in answer_text(back)


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "s" * 1000, "message": "hi"},
        {"sender": "a\nb", "message": "hi"},
        {"sender": "patient", "message": 123},
        {"sender": "patient", "message": None},
        {"sender": "patient", "message": "botox " * 17_000},
        ["not", "an", "object"],
        {"sender": "patient", "message": "hi", "message_id": 7},
        {"sender": "patient", "message": "hi", "message_id": "m" * 1000},
    ],
    ids=[
        "no sender",
        "empty sender",
        "1000-char sender",
        "control sender",
        "number",
        "null",
        "100 KB",
        "list",
        "number message id",
        "1000-char message id",
    ],
)
def test_malformed_requests_are_refused_with_a_400(rasa_url, body):
    reply = requests.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    assert reply.status_code == 400


@pytest.mark.parametrize(
    "data", [b"{not json", b'{"sender": "x", "message": "\xff\xfe"}'], ids=["invalid JSON", "invalid UTF-8"]
)
def test_undecodable_bodies_are_refused_with_a_400(rasa_url, data):
    headers = {"Content-Type": "application/json"}
    reply = requests.post(f"{rasa_url}/webhooks/rest/webhook", data=data, headers=headers, timeout=60)
    assert reply.status_code == 400


def parsed_user_messages(database, sender) -> list[dict]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(data)["parse_data"] for (data,) in rows]


@pytest.mark.parametrize(
    "typed", ["/report_red_flag", "/greet@0.01", '/inform_treatment{"treatment": "botox"}', " //ask_cost"]
)
def test_typed_slash_commands_are_read_as_words(chat, sender, database, typed):
    """Before, typed text like this set the intent, its confidence and entities: flags from thin air."""
    replies = texts(chat(typed))
    assert URGENT not in replies[0]
    parse_data = parsed_user_messages(database, sender)[-1]
    assert parse_data["text"] == typed.strip()  # as the REST channel passes it on
    assert parse_data["intent"]["name"] != "report_red_flag"
    assert parse_data["intent"].get("confidence") != 0.01
    assert not any(e.get("extractor") == "RegexMessageHandler" for e in parse_data["entities"])


def test_a_button_the_assistant_offered_still_works(chat, sender, database):
    offered = [b["payload"] for m in chat("blorf snazzle quux") for b in m.get("buttons", [])]
    assert "/request_human" in offered
    assert "clinic.example/book" in answer_text(chat("/request_human"))
    assert parsed_user_messages(database, sender)[-1]["intent"]["name"] == "request_human"


def test_a_message_with_two_questions_gets_both_answers_and_one_referral(chat):
    answer = answer_text(chat("how long does botox last and how much does it cost?"))
    assert "three to four months" in answer and "doesn't give prices" in answer
    assert answer.count(QUALIFIED) == 1
