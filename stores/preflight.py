"""Checks what `rasa run` needs before it starts, and names the fix for anything missing.

    python -m stores.preflight --model models/clinic.tar.gz --endpoints endpoints.yml

Rasa itself would start without the model (answering nothing useful) or fail on an unusable tracker
store with a stack trace. Exits 2 with one line per problem; otherwise says what Rasa will use.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa

from stores.locations import UnusableTrackerStore, check_sqlite_file, configured_tracker_store_url


def problems(model: Path, endpoints: Path) -> List[str]:
    """What stands in the way of starting Rasa with this model and endpoints file."""
    found = []
    if not model.is_file():
        found.append(f"The model {model} does not exist: train it with `make train`.")
    url = configured_tracker_store_url(endpoints)
    try:
        if url.drivername.startswith("sqlite"):
            check_sqlite_file(Path(url.database).resolve())
        else:
            engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
            with engine.connect():
                pass
            engine.dispose()
    except UnusableTrackerStore as error:
        found.append(str(error))
    except sa.exc.SQLAlchemyError as error:
        found.append(
            f"Cannot reach the tracker store's database ({type(error).__name__}): check TRACKER_STORE_URL."
        )
    return found


def main(argv: Optional[List[str]] = None) -> None:
    """Parses the command line, checks, and exits 2 if anything is wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--endpoints", type=Path, required=True)
    args = parser.parse_args(argv)
    found = problems(args.model, args.endpoints)
    for problem in found:
        print(f"Cannot start: {problem}", file=sys.stderr)
    if found:
        sys.exit(2)
    url = configured_tracker_store_url(args.endpoints).render_as_string(hide_password=True)
    locks = sa.engine.make_url(os.environ["LOCK_STORE_URL"]) if os.environ.get("LOCK_STORE_URL") else None
    print(f"Model: {args.model}")
    print(f"Conversations kept in: {url}")
    print(f"Conversation locks: {locks.render_as_string(hide_password=True) if locks else 'in memory'}")


if __name__ == "__main__":
    main()
