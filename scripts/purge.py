"""`make purge DAYS=90`: deletes the conversations whose last message is older than DAYS days.

Conversations are health data, kept only in Rasa's tracker store and only as long as needed. A
conversation is all events of one sender id; it is deleted whole, once its newest event is older than
the cut-off, so no conversation is left half-kept. The store is the one endpoints.yml names (its
`tracker_store`), TRACKER_STORE_URL, or `--db-url` (SQLAlchemy URLs). The review app's own records of
those conversations (summaries, marks, notes) go with them.
"""

from __future__ import annotations

import argparse
import time
from typing import List, Optional

import sqlalchemy as sa

from review import schema, summary
from review.config import tracker_store_url


def purge(url: str, days: float, now: Optional[float] = None) -> List[str]:
    """Deletes the conversations idle for more than `days`; returns their sender ids."""
    cutoff = (now or time.time()) - days * 86_400
    engine = sa.create_engine(url)
    schema.create_tables(engine)
    with engine.begin() as connection:
        senders = [
            row[0]
            for row in connection.execute(
                sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"),
                {"cutoff": cutoff},
            )
        ]
        for sender in senders:
            connection.execute(sa.text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender})
        summary.forget(connection, senders)
    engine.dispose()
    return senders


def main(argv: Optional[List[str]] = None) -> None:
    """Parses the command line and purges."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, required=True, help="keep conversations active since")
    parser.add_argument("--db-url", help="SQLAlchemy URL of the tracker store (default: endpoints.yml)")
    args = parser.parse_args(argv)
    if args.days < 0:
        parser.error("--days must not be negative")
    deleted = purge(args.db_url or tracker_store_url(), args.days)
    print(f"purge: deleted {len(deleted)} conversation(s) idle for more than {args.days:g} days")


if __name__ == "__main__":
    main()
