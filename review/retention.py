"""Retention: deletes the conversations whose last message is older than a number of days.

Conversations are health data, kept only in Rasa's tracker store and only as long as needed. A
conversation is all events of one sender id; it is deleted whole, once its newest event is older than
the cut-off, so no conversation is left half-kept. The review app's own records of those conversations
(summaries, marks, notes) go with them. `python -m review purge --days 90` (`make purge DAYS=90`).
"""

from __future__ import annotations

import time
from typing import List, Optional

import sqlalchemy as sa

from review import schema, summary


def purge(url: str, days: float, now: Optional[float] = None) -> List[str]:
    """Deletes the conversations idle for more than `days`; returns their sender ids."""
    cutoff = (now or time.time()) - days * 86_400
    events = schema.events.c
    engine = sa.create_engine(url)
    if not sa.inspect(engine).has_table(schema.events.name):  # Rasa has stored nothing yet
        engine.dispose()
        return []
    schema.create_tables(engine)
    with engine.begin() as connection:
        idle = (
            sa.select(events.sender_id)
            .group_by(events.sender_id)
            .having(sa.func.max(events.timestamp) < cutoff)
        )
        senders = [row[0] for row in connection.execute(idle)]
        summary.forget(connection, senders, tables=(schema.events, *schema.DERIVED))
    engine.dispose()
    return senders
