"""CORS: only the configured page may call Rasa from a browser (REST, socket.io); look-alikes get nothing."""

from __future__ import annotations

import pytest
import requests

from tests.harness import servers

PAGE = "http://localhost:8000"


@pytest.fixture(scope="module")
def rasa_with_cors(workdir):
    with servers.rasa_server(workdir, workdir / "cors.db", cors=[PAGE]) as rasa:
        yield rasa.url


def allowed_origin(url: str, origin: str) -> str | None:
    reply = requests.options(
        f"{url}/webhooks/rest/webhook",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    return reply.headers.get("Access-Control-Allow-Origin")


def test_the_configured_page_may_call(rasa_with_cors):
    assert allowed_origin(rasa_with_cors, PAGE) == PAGE


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:8000.evil.test",
        "http://evil.test",
        "http://localhost:8001",
        "https://localhost:8000",
    ],
)
def test_look_alike_and_other_origins_get_no_cors_headers(rasa_with_cors, origin):
    assert allowed_origin(rasa_with_cors, origin) is None


def socketio_handshake(url: str, origin: str) -> requests.Response:
    """Opens a socket.io session the way a browser on `origin` would (engine.io long-polling)."""
    return requests.get(
        f"{url}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers={"Origin": origin},
        timeout=30,
    )


def test_the_configured_page_may_open_a_socketio_session(rasa_with_cors):
    reply = socketio_handshake(rasa_with_cors, PAGE)
    assert reply.status_code == 200
    assert reply.headers.get("Access-Control-Allow-Origin") == PAGE


@pytest.mark.parametrize("origin", ["http://localhost:8000.evil.test", "http://evil.test"])
def test_other_pages_get_no_cors_headers_from_socketio(rasa_with_cors, origin):
    # the connection itself is refused too: tests/test_widget.py tries it from a real browser
    assert "Access-Control-Allow-Origin" not in socketio_handshake(rasa_with_cors, origin).headers
