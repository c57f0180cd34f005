"""`python -m review`: serve the review app, manage staff accounts, export conversations.

python -m review serve [--host 127.0.0.1] [--port 8001]
python -m review staff-user NAME          (asks for the password, or reads REVIEW_STAFF_PASSWORD)
python -m review end-sessions [--user NAME]  (logs staff out everywhere, e.g. after a lost laptop)
python -m review purge --days 90               (deletes conversations idle for longer, whole)
python -m review export --since 2026-01-01 --format csv [--flag red_flag] [--unredacted] > out.csv
python -m review export-training --since 2026-01-01 [--out data/review_corrections.yml]
                                 [--red-flags-out tests/review_red_flags.yml]   (staff corrections)
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa
from starlette.datastructures import MultiDict

from review import auth, export, queries, retention, schema, summary, training
from review.config import MissingPseudonymKey, check_pseudonym_key, settings


def serve(args: argparse.Namespace) -> None:
    """Starts the app with uvicorn, first setting up the account REVIEW_STAFF_USER if it is given."""
    import uvicorn

    from review.app import NoStaffAccount, create_app

    config = settings()
    engine = sa.create_engine(config.database_url)
    schema.create_tables(engine)
    if os.environ.get("REVIEW_STAFF_USER") and os.environ.get("REVIEW_STAFF_PASSWORD"):
        auth.set_staff_user(engine, os.environ["REVIEW_STAFF_USER"], os.environ["REVIEW_STAFF_PASSWORD"])
    try:
        check_pseudonym_key(config.pseudonym_key)
        app = create_app(config, engine)
    except (NoStaffAccount, MissingPseudonymKey) as error:
        sys.exit(f"review: {error}")
    # A client's address is the socket's, unless it is one of REVIEW_TRUSTED_PROXIES (a reverse proxy's
    # addresses, comma-separated): only then does X-Forwarded-For count (login throttling, audit).
    trusted_proxies = os.environ.get("REVIEW_TRUSTED_PROXIES", "").strip()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        server_header=False,
        ws="none",  # the app has no websockets, and Rasa pins a websockets too old for uvicorn's
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
    )


def staff_user(args: argparse.Namespace) -> None:
    """Creates a staff account or resets its password."""
    password = os.environ.get("REVIEW_STAFF_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            sys.exit("review: no terminal to ask for the password: set REVIEW_STAFF_PASSWORD.")
        password = getpass.getpass(
            f"Password for {args.name} (at least {auth.MIN_PASSWORD_LENGTH} characters): "
        )
        if getpass.getpass("Again: ") != password:
            sys.exit("review: the passwords differ.")
    engine = sa.create_engine(settings().database_url)
    schema.create_tables(engine)
    try:
        auth.set_staff_user(engine, args.name, password)
    except ValueError as error:
        sys.exit(f"review: {error}")
    print(f"review: staff account {args.name!r} is ready.")


def sessions_command(args: argparse.Namespace) -> None:
    """Ends every staff session, or one user's: their next request goes to the login page."""
    engine = sa.create_engine(settings().database_url)
    schema.create_tables(engine)
    ended = auth.revoke_sessions(engine, args.user)
    print(f"review: ended {ended} session(s){f' of {args.user!r}' if args.user else ''}.")


def purge_command(args: argparse.Namespace) -> None:
    """Deletes the conversations idle for more than --days days, whole."""
    if args.days < 0:
        sys.exit("review: --days must not be negative")
    deleted = retention.purge(args.db_url or settings().database_url, args.days)
    print(f"review: deleted {len(deleted)} conversation(s) idle for more than {args.days:g} days")


def export_command(args: argparse.Namespace) -> None:
    """Writes the filtered conversations to standard output, redacted unless --unredacted."""
    config = settings()
    try:
        key = None if args.unredacted else check_pseudonym_key(config.pseudonym_key)
    except MissingPseudonymKey as error:
        sys.exit(f"review: {error}")
    params = MultiDict(
        [("flag", flag) for flag in args.flag or []]
        + [(key, value) for key, value in (("since", args.since), ("until", args.until)) if value]
    )
    try:
        filters = queries.Filters.from_query(params)
    except queries.FilterError as error:
        sys.exit(f"review: {error}")
    engine = sa.create_engine(config.database_url)
    schema.create_tables(engine)
    summary.sync(engine)
    user = f"cli:{getpass.getuser()}"
    with engine.begin() as connection:
        queries.record(
            connection,
            user,
            "export",
            {"format": args.format, "redacted": not args.unredacted, "filters": filters.query()},
        )
    with engine.connect() as connection:
        found = queries.export_conversations(connection, filters, config.low_confidence)
        for piece in export.render(found, args.format, config.low_confidence, key):
            sys.stdout.write(piece)


def export_training_command(args: argparse.Namespace) -> None:
    """Writes the staff corrections made since --since as NLU examples and red-flag triage cases."""
    try:
        since = queries.Filters.from_query(MultiDict([("since", args.since)])).since
    except queries.FilterError as error:
        sys.exit(f"review: {error}")
    if since is None:
        sys.exit("review: 'since' must be a date like 2026-01-31.")
    out, red_flags_out = Path(args.out), Path(args.red_flags_out)
    command = " ".join(
        ["python -m review export-training", f"--since {since}"]
        + ([f"--out {training.shown(out)}"] if out.resolve() != training.DEFAULT_OUT else [])
        + (
            [f"--red-flags-out {training.shown(red_flags_out)}"]
            if red_flags_out.resolve() != training.DEFAULT_RED_FLAGS_OUT
            else []
        )
    )
    config = settings()
    engine = sa.create_engine(config.database_url)
    schema.create_tables(engine)
    summary.sync(engine)
    start = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
    with engine.connect() as connection:
        corrections = queries.corrections_since(connection, start)
    try:
        found = training.build(corrections, out, red_flags_out)
    except training.ExportError as error:
        sys.exit(f"review: {error}")
    with engine.begin() as connection:
        queries.record(
            connection,
            f"cli:{getpass.getuser()}",
            "export_training",
            {
                "since": since.isoformat(),
                "out": training.shown(out),
                "red_flags_out": training.shown(red_flags_out),
                "corrections": len(corrections),
                "examples": len(found.new_examples),
                "red_flags": len(found.new_red_flags),
                "skipped": len(found.skipped),
            },
        )
    print(f"review: {len(corrections)} correction(s) since {since}")
    if found.new_examples:
        training.write(out, training.render_examples(found.examples, command))
        print(f"review: wrote {len(found.new_examples)} new example(s) to {training.shown(out)}:")
        for example in found.new_examples:
            print(f"  {example.intent}: {example.text}")
    else:
        print(f"review: no new examples: nothing written to {training.shown(out)}")
    if found.new_red_flags:
        training.write(red_flags_out, training.render_red_flags(found.red_flags, command))
        tested = red_flags_out.resolve() == training.DEFAULT_RED_FLAGS_OUT
        print(
            f"review: wrote {len(found.new_red_flags)} missed red flag(s) to {training.shown(red_flags_out)}"
            + (" (make test runs them: widen knowledge/red_flags.yml until each gets urgent care)" * tested)
            + ":"
        )
        for case in found.new_red_flags:
            print(f"  {case['text']}")
    else:
        print(f"review: no new red flags: nothing written to {training.shown(red_flags_out)}")
    if found.skipped:
        print(f"review: skipped {len(found.skipped)}:")
        for skipped in found.skipped:
            print(f"  {skipped.text!r}: {skipped.reason}")


def main(argv: Optional[List[str]] = None) -> None:
    """Parses the command line and runs the command."""
    parser = argparse.ArgumentParser(prog="python -m review", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="start the review app")
    serve_parser.add_argument("--host", default=os.environ.get("REVIEW_HOST", "127.0.0.1"))
    serve_parser.add_argument("--port", type=int, default=int(os.environ.get("REVIEW_PORT", "8001")))
    serve_parser.set_defaults(run=serve)
    user_parser = commands.add_parser("staff-user", help="create a staff account or reset its password")
    user_parser.add_argument("name")
    user_parser.set_defaults(run=staff_user)
    sessions_parser = commands.add_parser("end-sessions", help="log every member of staff (or one) out")
    sessions_parser.add_argument("--user", help="only this username's sessions")
    sessions_parser.set_defaults(run=sessions_command)
    purge_parser = commands.add_parser("purge", help="delete conversations idle for more than --days days")
    purge_parser.add_argument("--days", type=float, required=True, help="keep conversations active since")
    purge_parser.add_argument("--db-url", help="SQLAlchemy URL of the tracker store (default: as Rasa's)")
    purge_parser.set_defaults(run=purge_command)
    export_parser = commands.add_parser("export", help="export conversations (redacted by default)")
    export_parser.add_argument("--format", choices=export.FORMATS, default="csv")
    export_parser.add_argument("--since", help="first day, YYYY-MM-DD")
    export_parser.add_argument("--until", help="last day, YYYY-MM-DD")
    export_parser.add_argument("--flag", action="append", choices=sorted(summary.FLAGS), help="repeatable")
    export_parser.add_argument("--unredacted", action="store_true", help="keep personal details (audited)")
    export_parser.set_defaults(run=export_command)
    training_parser = commands.add_parser(
        "export-training", help="staff corrections as NLU training data and red-flag test cases"
    )
    training_parser.add_argument("--since", required=True, help="corrections made since this day, YYYY-MM-DD")
    training_parser.add_argument(
        "--out", default=str(training.DEFAULT_OUT), help="the NLU file (default: data/review_corrections.yml)"
    )
    training_parser.add_argument(
        "--red-flags-out",
        default=str(training.DEFAULT_RED_FLAGS_OUT),
        help="the triage cases of the red flags missed (default: tests/review_red_flags.yml)",
    )
    training_parser.set_defaults(run=export_training_command)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
