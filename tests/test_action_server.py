"""The action server (`python -m actions`): loopback only, no patient data in errors, optional token."""

from __future__ import annotations

import socket
from pathlib import Path

import requests

from tests.harness import servers

CALL = {
    "next_action": "action_answer_question",
    "sender_id": "patient",
    "version": "3.6.2",
    "domain": {},
    # a tracker the action cannot use: it raises, and the reply must not echo this back
    "tracker": {"sender_id": "patient", "latest_message": "I am pregnant, my name is Jane Doe"},
}


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a TCP port is listening on, from /proc/net/tcp."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, local_port = local.split(":")
        if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
            addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return addresses


def test_it_listens_on_loopback_only(workdir):
    with servers.action_server(workdir) as actions:
        port = int(actions.url.split(":")[2].split("/")[0])
        assert listening_addresses(port) == {"127.0.0.1"}


def test_an_action_error_answers_without_the_patients_messages(workdir):
    with servers.action_server(workdir) as actions:
        reply = requests.post(actions.url, json=CALL, timeout=30)
        assert reply.status_code == 500
        assert "Jane" not in reply.text and "pregnant" not in reply.text
        malformed = requests.post(actions.url, data="not json", timeout=30)
        assert 400 <= malformed.status_code < 500
        assert "not json" not in malformed.text


def test_with_a_token_set_calls_without_it_are_refused(workdir):
    with servers.action_server(workdir, token="s3cret") as actions:
        assert requests.post(actions.url, json=CALL, timeout=30).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert requests.post(actions.url, json=CALL, headers=wrong, timeout=30).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert requests.post(actions.url, json=CALL, headers=right, timeout=30).status_code == 500
