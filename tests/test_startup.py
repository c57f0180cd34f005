"""Starting up: the tracker store follows TRACKER_STORE_URL; what is missing is named with its fix."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from contract import PROJECT_ROOT
from stores.locations import configured_tracker_store_url
from tests.harness import servers


def preflight(model: Path, endpoints: Path, **env: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "stores.preflight",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
    ]
    return subprocess.run(command, env={**servers.ENV, **env}, capture_output=True, text=True, timeout=60)


def test_the_project_as_it_is_can_start():
    result = preflight(servers.MODEL, PROJECT_ROOT / "endpoints.yml", TRACKER_STORE_URL="")
    assert result.returncode == 0, result.stderr


def test_a_missing_model_is_named_with_its_fix(tmp_path):
    result = preflight(tmp_path / "missing.tar.gz", PROJECT_ROOT / "endpoints.yml", TRACKER_STORE_URL="")
    assert result.returncode == 2
    assert "missing.tar.gz does not exist: train it with `make train`" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unusable_database_path_is_named_with_its_fix(tmp_path):
    missing_folder = f"sqlite:///{tmp_path / 'no-such-folder' / 'tracker.db'}"
    result = preflight(servers.MODEL, PROJECT_ROOT / "endpoints.yml", TRACKER_STORE_URL=missing_folder)
    assert result.returncode == 2
    assert "no-such-folder does not exist" in result.stderr and "TRACKER_STORE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_rasa_itself_refuses_an_unusable_database_path(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: stores.tracker_store.EnvironmentSQLTrackerStore\n"
        f"  db: {tmp_path / 'no-such-folder' / 'tracker.db'}\n"
    )
    command = [
        str(servers.BIN / "rasa"), "run", "--model", str(servers.MODEL), "--interface", "127.0.0.1",
        "--port", str(servers.free_port()), "--endpoints", str(endpoints),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=servers.ENV, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "no-such-folder does not exist" in result.stdout + result.stderr


def test_tracker_store_url_moves_the_conversations(workdir, tmp_path):
    default, elsewhere = tmp_path / "default.db", tmp_path / "elsewhere.db"
    with servers.rasa_server(workdir, default, tracker_store_url=f"sqlite:///{elsewhere}") as rasa:
        servers.say(rasa.url, "moved-1", "how long does botox last")
    with sqlite3.connect(elsewhere) as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE sender_id = 'moved-1'").fetchone()[0] > 0
    assert not default.exists()


def test_the_default_store_is_the_one_endpoints_yml_names(monkeypatch):
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    assert configured_tracker_store_url() == make_url(f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}")
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://rasa:secret@db.internal:5432/rasa")
    assert configured_tracker_store_url().host == "db.internal"
