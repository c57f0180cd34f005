"""`make purge`: deletes exactly the conversations idle for longer than the retention period."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid

import sqlalchemy as sa

from review import queries, retention, schema, summary
from tests.harness import servers

DAY = 86_400


def test_purge_deletes_exactly_the_conversations_idle_for_too_long(chat, database):
    old, recent, mixed = (f"purge-{name}-{uuid.uuid4()}" for name in ("old", "recent", "mixed"))
    for sender in (old, recent, mixed):
        chat("what is botox", conversation=sender)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE events SET timestamp = timestamp - 100 * ? WHERE sender_id = ?", (DAY, old))
        # an old conversation that went on recently is kept whole
        db.execute(
            "UPDATE events SET timestamp = timestamp - 100 * ? WHERE sender_id = ? AND type_name != 'bot'",
            (DAY, mixed),
        )
        counts_before = dict(db.execute("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id"))

    url = f"sqlite:///{database}"
    engine = sa.create_engine(url)
    schema.create_tables(engine)
    summary.sync(engine)  # the review app has summarised them all
    with engine.begin() as connection:  # and staff labelled the old conversation's question
        (old_message,) = connection.execute(
            sa.select(schema.turns.c.event_id).where(schema.turns.c.sender_id == old)
        ).one()
        queries.save_correction(connection, old_message, {"outcome": "fine"}, "staff")

    deleted = retention.purge(url, days=90)

    assert old in deleted and recent not in deleted and mixed not in deleted
    with sqlite3.connect(database) as db:
        counts_after = dict(db.execute("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id"))
    assert old not in counts_after
    assert {s: n for s, n in counts_before.items() if s not in deleted} == counts_after
    with sqlite3.connect(database) as db:
        reviewed = {row[0] for row in db.execute("SELECT sender_id FROM review_conversations")}
        turns = {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM review_turns")}
        corrected = {row[0] for row in db.execute("SELECT sender_id FROM review_corrections")}
    assert old not in reviewed | turns | corrected and {recent, mixed} <= reviewed


def test_the_purge_command_refuses_negative_days_and_reports_what_it_deleted(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    command = [sys.executable, "-m", "review", "purge", "--db-url", url]
    refused = subprocess.run([*command, "--days", "-1"], env=servers.ENV, capture_output=True, text=True)
    assert refused.returncode != 0 and "must not be negative" in refused.stderr
    done = subprocess.run([*command, "--days", "90"], env=servers.ENV, capture_output=True, text=True)
    assert done.returncode == 0 and "deleted 0 conversation(s)" in done.stdout
