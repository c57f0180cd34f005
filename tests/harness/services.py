"""Throwaway PostgreSQL and Redis servers on free loopback ports, for the scale-out test and benchmark.

They come from Debian's packages (`make scale-deps` installs them), run from a temporary data folder and
are stopped, with their data, when the block ends.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from tests.harness.servers import free_port


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make scale-deps` (as root).")
    return found[-1]


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_postgres(command: list) -> list:
    # PostgreSQL refuses to run as root; the Debian package's postgres user runs it instead
    return ["runuser", "-u", "postgres", "--", *command] if _is_root() else command


@contextmanager
def postgres() -> Iterator[str]:
    """Runs PostgreSQL with a database `rasa`; yields its SQLAlchemy URL."""
    with tempfile.TemporaryDirectory(prefix="clinic-postgres-") as folder:  # in /tmp: postgres can reach it
        if _is_root():
            shutil.chown(folder, "postgres")
        with _postgres_in(Path(folder)) as url:
            yield url


@contextmanager
def _postgres_in(workdir: Path) -> Iterator[str]:
    data = workdir / "data"
    port = free_port()
    subprocess.run(
        _as_postgres([_postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-N"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = workdir / "postgres.log"
    subprocess.run(
        _as_postgres(
            [_postgres_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        admin = sa.create_engine(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(sa.text("CREATE DATABASE rasa"))
        admin.dispose()
        yield f"postgresql://postgres@127.0.0.1:{port}/rasa"
    finally:
        subprocess.run(
            _as_postgres([_postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )


@contextmanager
def redis(workdir: Path) -> Iterator[str]:
    """Runs Redis without persistence; yields its URL (database 1)."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with (workdir / "redis.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while (
            subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip()
            != b"PONG"
        ):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"Redis did not start: {(workdir / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"redis://127.0.0.1:{port}/1"
    finally:
        process.terminate()
        process.wait(timeout=20)
