"""`make purge DAYS=90`: deletes the conversations whose last message is older than DAYS days.

Conversations are health data, kept only in Rasa's tracker store and only as long as needed. A
conversation is all events of one sender id; it is deleted whole, once its newest event is older than
the cut-off, so no conversation is left half-kept. The store is the one endpoints.yml names (its
`tracker_store`), or `--db-url` (an SQLAlchemy URL).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parent.parent


def store_url(endpoints: Path) -> str:
    """The SQLAlchemy URL of the SQL tracker store configured in endpoints.yml."""
    store = yaml.safe_load(endpoints.read_text())["tracker_store"]
    if store.get("dialect", "sqlite") == "sqlite":
        return f"sqlite:///{ROOT / store['db']}"
    return str(
        sa.engine.URL.create(
            drivername=store["dialect"],
            username=store.get("username"),
            password=store.get("password"),
            host=store.get("url"),
            port=store.get("port"),
            database=store.get("db"),
        )
    )


def purge(url: str, days: float, now: Optional[float] = None) -> List[str]:
    """Deletes the conversations idle for more than `days`; returns their sender ids."""
    cutoff = (now or time.time()) - days * 86_400
    engine = sa.create_engine(url)
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
    deleted = purge(args.db_url or store_url(ROOT / "endpoints.yml"), args.days)
    print(f"purge: deleted {len(deleted)} conversation(s) idle for more than {args.days:g} days")


if __name__ == "__main__":
    main()
