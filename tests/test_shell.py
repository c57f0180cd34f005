"""`make shell` as the README promises, typed into a real pseudo-terminal.

The README suggests "what are fillers?", then "how long do they last?", then "and botox?". Rasa's own
shell turned each reply's follow-up buttons into an arrow-key menu, so the second line picked a button
instead of being sent; here every typed line is sent, and the follow-ups are listed as text.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time

from contract import PROJECT_ROOT
from tests.harness import servers

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
README_LINES = [
    ("what are fillers?", "injected into or just under the skin"),
    ("how long do they last?", "three to twelve months"),
    ("and botox?", "three to four months"),
]


class Terminal:
    """A program on a pseudo-terminal: type lines, read the screen's text."""

    def __init__(self, command: list, env: dict) -> None:
        self.main, secondary = pty.openpty()
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdin=secondary, stdout=secondary, stderr=secondary,
            start_new_session=True,
        )  # fmt: skip
        os.close(secondary)
        self.seen = ""

    def wait_for(self, text: str, since: int, timeout: float = 120) -> None:
        """Reads until `text` has appeared on the screen after position `since`."""
        deadline = time.monotonic() + timeout
        while text not in " ".join(self.seen[since:].split()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"{text!r} not shown; the terminal showed:\n{self.seen[-3000:]}")
            if select.select([self.main], [], [], 0.5)[0]:
                try:
                    self.seen += ANSI.sub("", os.read(self.main, 65536).decode(errors="replace"))
                except OSError:  # the program closed the terminal
                    pass

    def type(self, line: str) -> None:
        os.write(self.main, line.encode() + b"\r")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        os.close(self.main)


def test_make_shell_answers_the_readme_lines_in_context(workdir):
    actions_port, rasa_port = servers.free_port(), servers.free_port()
    endpoints = workdir / "shell-endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        f"tracker_store:\n  type: stores.tracker_store.EnvironmentSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {workdir / 'shell.db'}\n"
    )
    command = [
        "make", "--no-print-directory", "-o", "train",  # make test has trained the model
        "shell", f"ACTIONS_PORT={actions_port}", f"RASA_PORT={rasa_port}", f"ENDPOINTS={endpoints}",
    ]  # fmt: skip
    terminal = Terminal(command, {**servers.ENV, "TERM": "xterm", "COLUMNS": "200", "LINES": "50"})
    try:
        terminal.wait_for("Bot loaded", since=0, timeout=240)
        for line, answer in README_LINES:
            typed_at = len(terminal.seen)
            terminal.type(line)
            terminal.wait_for(answer, since=typed_at)
            terminal.wait_for("qualified medical professional", since=typed_at)
        assert "You could also ask:" in terminal.seen  # the follow-ups, as text
        terminal.type("/stop")
        terminal.process.wait(timeout=60)
    finally:
        terminal.close()
