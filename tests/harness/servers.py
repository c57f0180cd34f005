"""Starts the real action server and Rasa server on free loopback ports: for tests, evaluation, benchmarks."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import requests

from contract import PROJECT_ROOT

BIN = Path(sys.executable).parent
MODEL = PROJECT_ROOT / "models" / "clinic.tar.gz"
ENV = {
    **os.environ,
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    # the review app and its export command refuse to run without a key for pseudonyms
    "REVIEW_PSEUDONYM_KEY": os.environ.get("REVIEW_PSEUDONYM_KEY") or "test-pseudonym-key-not-secret",
    # the same on every Rasa server a test starts, so a restarted one continues the widget's conversation
    "WIDGET_SESSION_SECRET": os.environ.get("WIDGET_SESSION_SECRET") or "test-widget-secret-not-secret",
}


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Polls `url` until it answers 200; fails with the server's log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up in {timeout} s:\n{log.read_text()[-4000:]}")


@contextmanager
def running(
    command: List[str], health_url: str, log: Path, cwd: Path = PROJECT_ROOT, env: Optional[dict] = None
) -> Iterator[subprocess.Popen]:
    """Runs a server until the block ends, stopping it even when the block fails."""
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env or ENV, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_up(health_url, process, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def csrf_token_in(page: str) -> str:
    """The CSRF token in a review app page's forms."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def review_login(
    url: str, username: str, password: str, target: str = "/", follow_redirects: bool = True
) -> Tuple[requests.Session, requests.Response]:
    """Logs in to the review app as a browser would; returns the session and the login's reply."""
    session = requests.Session()
    token = csrf_token_in(session.get(f"{url}/login").text)
    reply = session.post(
        f"{url}/login",
        data={"csrf_token": token, "username": username, "password": password, "next": target},
        allow_redirects=follow_redirects,
    )
    return session, reply


def say(rasa_url: str, sender: str, text: str, session: Optional[requests.Session] = None) -> List[dict]:
    """Sends a patient's message over the REST channel; returns the bot's messages (fails on non-200)."""
    reply = (session or requests).post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=300
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


@dataclass
class Server:
    """A running server: its base URL and process."""

    url: str
    process: subprocess.Popen


@contextmanager
def action_server(workdir: Path, port: Optional[int] = None, token: Optional[str] = None) -> Iterator[Server]:
    """Runs the action server (on `port`, or a free one); yields it, with its webhook URL."""
    port = port or free_port()
    command = [str(BIN / "python"), "-m", "actions", "--port", str(port)]
    env = {**ENV, "ACTION_SERVER_TOKEN": token or ""}
    with running(command, f"http://127.0.0.1:{port}/health", workdir / "actions.log", env=env) as process:
        yield Server(f"http://127.0.0.1:{port}/webhook", process)


@contextmanager
def rasa_server(
    workdir: Path,
    database: Path,
    action_url: Optional[str] = None,
    model: Path = MODEL,
    project: Path = PROJECT_ROOT,
    credentials: Path = PROJECT_ROOT / "credentials.yml",
    cors: Optional[List[str]] = None,
    port: Optional[int] = None,
    tracker_store_url: str = "",
    lock_store_url: str = "",
    environment: Optional[dict] = None,
) -> Iterator[Server]:
    """Runs `rasa run` on a trained model with an SQLite tracker store; yields it, with its base URL.

    `cors` lists the exact web origins allowed to call it, over REST and socket.io alike;
    `tracker_store_url` (TRACKER_STORE_URL) puts the conversations elsewhere than `database`, and
    `lock_store_url` (LOCK_STORE_URL) shares conversation locks with other replicas through Redis.
    """
    endpoints = workdir / f"endpoints-{uuid.uuid4().hex[:8]}.yml"
    action_endpoint = f'action_endpoint:\n  url: "{action_url}"\n' if action_url else ""
    endpoints.write_text(
        f"{action_endpoint}tracker_store:\n  type: stores.tracker_store.EnvironmentSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {database}\n"
        "lock_store:\n  type: stores.lock_store.EnvironmentLockStore\n"
    )
    port = port or free_port()
    command = [
        str(BIN / "python"), "-m", "scripts.rasa_quietly", "run", "--model", str(model),
        "--interface", "127.0.0.1", "--port", str(port), "--endpoints", str(endpoints),
        "--credentials", str(credentials),
    ] + (["--cors", *cors] if cors else [])  # fmt: skip
    log = workdir / f"rasa-{port}.log"
    env = {
        **ENV,
        "PYTHONPATH": str(PROJECT_ROOT),  # the stores the endpoints file names, from any project's folder
        "CORS_ORIGINS": " ".join(cors or []),
        "TRACKER_STORE_URL": tracker_store_url,
        "LOCK_STORE_URL": lock_store_url,
        **(environment or {}),
    }
    with running(command, f"http://127.0.0.1:{port}/", log, cwd=project, env=env) as process:
        yield Server(f"http://127.0.0.1:{port}", process)


@contextmanager
def assistant(workdir: Path, database: Path) -> Iterator[Server]:
    """Runs the action server and the Rasa server with it; yields the Rasa server."""
    with action_server(workdir) as actions:
        with rasa_server(workdir, database, actions.url) as rasa:
            yield rasa


@contextmanager
def review_server(workdir: Path, database: Path | str, username: str, password: str) -> Iterator[Server]:
    """Runs the staff review app with one staff account; yields it, with its base URL.

    `database` is an SQLite file or an SQLAlchemy URL.
    """
    port = free_port()
    command = [str(BIN / "python"), "-m", "review", "serve", "--port", str(port)]
    env = {
        **ENV,
        "TRACKER_STORE_URL": database if isinstance(database, str) else f"sqlite:///{database}",
        "REVIEW_STAFF_USER": username,
        "REVIEW_STAFF_PASSWORD": password,
    }
    log = workdir / f"review-{port}.log"
    with running(command, f"http://127.0.0.1:{port}/health", log, env=env) as process:
        yield Server(f"http://127.0.0.1:{port}", process)
