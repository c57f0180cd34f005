"""Staff accounts and logins: scrypt password hashes, server-side sessions, login throttling, CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any, Deque, Dict, Optional, Tuple

import sqlalchemy as sa

from review import schema

MIN_PASSWORD_LENGTH = 12
# scrypt cost: about 50 ms and 16 MB per hash here, so guessing is slow but logins are not
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """Returns a salted scrypt hash, with its parameters, to store."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${encoded[0]}${encoded[1]}"


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was hashed from (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def set_staff_user(engine: sa.engine.Engine, username: str, password: str) -> None:
    """Creates a staff account, or sets a new password for an existing one."""
    if not username.strip() or len(username) > 64 or not username.isprintable():
        raise ValueError("The username must be 1 to 64 printable characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    row = {"username": username, "password_hash": hash_password(password), "created_at": time.time()}
    with engine.begin() as connection:
        connection.execute(schema.staff.delete().where(schema.staff.c.username == username))
        connection.execute(schema.staff.insert().values(**row))
    revoke_sessions(engine, username)  # a new password ends the sessions the old one opened


def has_staff(engine: sa.engine.Engine) -> bool:
    """Whether any staff account exists."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(schema.staff)).scalar() > 0


# Hashed when no such user exists, so that a wrong username takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def check_login(engine: sa.engine.Engine, username: str, password: str) -> bool:
    """Whether the username and password belong to a staff account."""
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(schema.staff.c.password_hash).where(schema.staff.c.username == username)
        ).scalar()
    return password_matches(password, stored or _DUMMY_HASH) and stored is not None


def _hashed(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(engine: sa.engine.Engine, username: str) -> str:
    """Opens a session for `username`; returns its id, for the signed cookie."""
    session_id = secrets.token_urlsafe(32)
    now = time.time()
    row = {"id_hash": _hashed(session_id), "username": username, "created_at": now, "last_seen": now}
    with engine.begin() as connection:
        connection.execute(schema.sessions.insert().values(**row))
    return session_id


def session_user(
    engine: sa.engine.Engine, session_id: str, idle_seconds: float, max_seconds: float
) -> Optional[str]:
    """The user of a live session: not ended, used within `idle_seconds`, opened within `max_seconds`."""
    s = schema.sessions.c
    now = time.time()
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(s.username, s.created_at, s.last_seen).where(
                s.id_hash == _hashed(session_id), s.revoked_at.is_(None)
            )
        ).first()
        if row is None or now - row.last_seen > idle_seconds or now - row.created_at > max_seconds:
            return None
        if now - row.last_seen > 30:  # a write per half minute of use, not per request
            connection.execute(
                schema.sessions.update().where(s.id_hash == _hashed(session_id)).values(last_seen=now)
            )
    return str(row.username)


def end_session(engine: sa.engine.Engine, session_id: str) -> None:
    """Ends one session (logging out): its cookie, even a copy of it, opens nothing any more."""
    s = schema.sessions.c
    with engine.begin() as connection:
        connection.execute(
            schema.sessions.update()
            .where(s.id_hash == _hashed(session_id), s.revoked_at.is_(None))
            .values(revoked_at=time.time())
        )


def revoke_sessions(engine: sa.engine.Engine, username: Optional[str] = None) -> int:
    """Ends every live session, or every one of `username`; returns how many were ended."""
    s = schema.sessions.c
    whose = [s.username == username] if username is not None else []
    with engine.begin() as connection:
        result = connection.execute(
            schema.sessions.update().where(s.revoked_at.is_(None), *whose).values(revoked_at=time.time())
        )
    return int(result.rowcount or 0)


class LoginThrottle:
    """Slows guessing without letting anyone lock a member of staff out.

    Failed logins are counted per (username, client address) pair: after `free` failures the pair must
    wait 1, 2, 4… seconds (at most `max_delay`) before its next attempt, so a guesser elsewhere never
    delays the real user's login. Each client address also has at most `client_limit` failures per
    `window` seconds, whatever usernames it tries.
    """

    def __init__(
        self, free: int = 3, max_delay: float = 300, client_limit: int = 20, window: float = 900
    ) -> None:
        self.free = free
        self.max_delay = max_delay
        self.client_limit = client_limit
        self.window = window
        self._pairs: Dict[Tuple[str, str], Tuple[int, float]] = {}
        self._clients: Dict[str, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _client_failures(self, client: str, now: float) -> Deque[float]:
        failures = self._clients[client]
        while failures and failures[0] < now - self.window:
            failures.popleft()
        return failures

    def wait(self, username: str, client: str) -> float:
        """Seconds before this pair (or this client) may try again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            count, last = self._pairs.get((username, client), (0, now))
            pair_wait = last + self._delay(count) - now if count > self.free - 1 else 0.0
            failures = self._client_failures(client, now)
            client_wait = failures[0] + self.window - now if len(failures) >= self.client_limit else 0.0
        return max(pair_wait, client_wait, 0.0)

    def _delay(self, count: int) -> float:
        return float(min(2 ** (count - self.free), self.max_delay))

    def failed(self, username: str, client: str) -> None:
        """Records a failed login."""
        now = time.monotonic()
        with self._lock:
            if len(self._pairs) > 10_000:  # a guesser trying many usernames: forget the long-quiet pairs
                quiet = now - self.max_delay
                self._pairs = {pair: value for pair, value in self._pairs.items() if value[1] > quiet}
            count, _ = self._pairs.get((username, client), (0, now))
            self._pairs[(username, client)] = (count + 1, now)
            self._client_failures(client, now).append(now)

    def succeeded(self, username: str, client: str) -> None:
        """Forgets the pair's failures after a right password."""
        with self._lock:
            self._pairs.pop((username, client), None)


def csrf_token(session: dict) -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, submitted: Any) -> bool:
    """Whether a form's token is the session's."""
    expected = session.get("csrf")
    return bool(expected and submitted) and hmac.compare_digest(str(expected), str(submitted))
