"""The tables: Rasa's `events` (read only), and the review app's own, all prefixed `review_`.

The review app never writes to `events`. What it derives from them (one summary row per conversation,
one row per patient turn, so that lists, filters and charts are SQL queries with indexes) is rebuilt from
the events at any time; what staff add (marks, notes), staff accounts and the audit log are its own.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Rasa's SQLTrackerStore table, as Rasa 3.6 creates it: declared for queries (and for seeding test data).
events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

conversations = sa.Table(
    "review_conversations",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("started_at", sa.Float, nullable=False, index=True),
    sa.Column("started_day", sa.String(10), nullable=False, index=True),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Column("channel", sa.String(64)),
    sa.Column("patient_messages", sa.Integer, nullable=False),
    sa.Column("first_question", sa.Text),
    sa.Column("red_flag", sa.Boolean, nullable=False, index=True),
    # symptoms mentioned only as negated, past, hypothetical or asked about (components/red_flags.py)
    sa.Column("symptom_mentioned", sa.Boolean, nullable=False, index=True),
    sa.Column("fallback", sa.Boolean, nullable=False, index=True),
    sa.Column("gap", sa.Boolean, nullable=False, index=True),
    sa.Column("handoff", sa.Boolean, nullable=False, index=True),
    sa.Column("not_helpful", sa.Boolean, nullable=False, index=True),
    sa.Column("min_confidence", sa.Float, index=True),
    # lower-cased patient messages, for the free-text filter
    sa.Column("search_text", sa.Text, nullable=False),
)

turns = sa.Table(
    "review_turns",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("intent", sa.String(255)),
    sa.Column("confidence", sa.Float),
    sa.Column("treatment", sa.String(32), index=True),
    sa.Column("red_flag", sa.Boolean, nullable=False),
    # typed messages only (a button's payload has none): the inbox's and the gap list's text
    sa.Column("text", sa.Text),
    sa.Column("group_key", sa.String(32)),  # summary.group_key: near-identical messages
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("gap", sa.Boolean, nullable=False),
    sa.Column("found_helpful", sa.Boolean),  # the patient's feedback on the answer, if any
)
# for the dashboard's counts and ratings (covering indexes: the counts never read the table)
sa.Index("ix_review_turns_intent_treatment", turns.c.intent, turns.c.treatment, turns.c.found_helpful)
sa.Index("ix_review_turns_red_flag_day", turns.c.red_flag, turns.c.day)
# the inbox groups by group_key what the index alone says (reasons, time, intent, treatment): 900 ms -> 40
# at 100,000 conversations
sa.Index(
    "ix_review_turns_inbox",
    *(turns.c[name] for name in ("group_key", "fallback", "gap", "found_helpful", "confidence")),
    *(turns.c[name] for name in ("at", "event_id", "intent", "treatment")),
)

state = sa.Table(
    "review_state",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

# What staff say a message should have been understood as (the inbox), one per group of near-identical
# messages; labelling again overwrites, the audit log keeps each label given.
corrections = sa.Table(
    "review_corrections",
    metadata,
    sa.Column("group_key", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False),  # the message staff corrected
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("outcome", sa.String(16), nullable=False),  # review/corrections.py OUTCOMES
    sa.Column("intent", sa.String(255)),
    sa.Column("treatment", sa.String(32)),
    sa.Column("gap_topic", sa.String(200)),
    sa.Column("corrected_by", sa.String(64), nullable=False),
    sa.Column("corrected_at", sa.Float, nullable=False, index=True),
)

marks = sa.Table(
    "review_marks",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("reviewed_by", sa.String(64), nullable=False),
    sa.Column("reviewed_at", sa.Float, nullable=False),
)

notes = sa.Table(
    "review_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

staff = sa.Table(
    "review_staff",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Staff sessions, kept here so that logging out (or an admin) ends them; the cookie carries only the id,
# and the table only its hash.
sessions = sa.Table(
    "review_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),
)

audit = sa.Table(
    "review_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)

# what is derived from a conversation's events, and goes when the conversation is purged
DERIVED = (conversations, turns, marks, notes, corrections)
# what is rebuilt from the events at any time
SUMMARIES = (conversations, turns)


def create_tables(engine: sa.engine.Engine) -> None:
    """Creates the review tables that are missing; rebuilds the summaries of an older layout.

    The summary tables are derived from the events, so a release that changes their columns drops them
    and lets the next sync rebuild every summary. Nothing staff wrote is touched.
    """
    existing = sa.inspect(engine)
    outdated = [
        table
        for table in SUMMARIES
        if existing.has_table(table.name)
        and {c["name"] for c in existing.get_columns(table.name)} != set(table.columns.keys())
    ]
    if outdated:
        with engine.begin() as connection:
            for table in outdated:
                table.drop(connection)
            if existing.has_table(state.name):
                connection.execute(state.delete().where(state.c.key == "last_event_id"))
    metadata.create_all(engine)
