"""Shared fixtures: the real servers, started once per test session."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from playwright.sync_api import Browser, sync_playwright

from contract import ANSWER_FEEDBACK_SLOT, PROJECT_ROOT
from tests.harness import servers

Chat = Callable[..., List[Dict[str, Any]]]
ARTIFACTS = PROJECT_ROOT / "artifacts"  # screenshots, for people to look at
CHROMIUM = "/usr/bin/chromium"  # Debian's package (make browser)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update",
]  # fmt: skip


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the servers' logs, endpoints file and database."""
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def database(workdir: Path) -> Path:
    """The SQLite file the Rasa server keeps conversations in."""
    return workdir / "tracker.db"


@pytest.fixture(scope="session")
def rasa_url(workdir: Path, database: Path) -> Iterator[str]:
    """The base URL of a running Rasa server, with its action server."""
    with servers.assistant(workdir, database) as rasa:
        yield rasa.url


@pytest.fixture
def sender() -> str:
    """A new conversation's id."""
    return f"test-{uuid.uuid4()}"


@pytest.fixture
def chat(rasa_url: str, sender: str) -> Chat:
    """Sends a message over REST as `sender` (or another id) and returns the bot's messages."""

    def send(text: str, conversation: str = sender) -> List[Dict[str, Any]]:
        return servers.say(rasa_url, conversation, text)

    return send


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


AXE = PROJECT_ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"  # npm, by make widget


def serious_accessibility_violations(page) -> List[Dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now, shadow DOM included."""
    page.add_script_tag(path=str(AXE))
    run = "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    violations = page.evaluate(run)
    return [
        {"id": v["id"], "impact": v["impact"], "where": [n["target"] for n in v["nodes"]][:3]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def stored_events(database: Path, sender: str, type_name: str) -> List[Dict[str, Any]]:
    """The conversation's events of one type, oldest first, straight from the tracker store's SQLite file."""
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = ? ORDER BY id", (sender, type_name)
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def stored_feedback(database: Path, sender: str) -> List[Dict[str, Any]]:
    """The values of the conversation's feedback slot events, oldest first."""
    return [e["value"] for e in stored_events(database, sender, "slot") if e["name"] == ANSWER_FEEDBACK_SLOT]
