"""Staff accounts and logins: scrypt password hashes, login rate limiting, CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any, Deque, Dict

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


class LoginThrottle:
    """Allows at most `limit` failed logins per key (a username, a client address) in `window` seconds."""

    def __init__(self, limit: int, window: float = 900) -> None:
        self.limit = limit
        self.window = window
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> Deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < now - self.window:
            failures.popleft()
        return failures

    def blocked(self, key: str) -> bool:
        """Whether `key` has used up its attempts."""
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        """Records a failed login for `key`."""
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)


def csrf_token(session: dict) -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, submitted: Any) -> bool:
    """Whether a form's token is the session's."""
    expected = session.get("csrf")
    return bool(expected and submitted) and hmac.compare_digest(str(expected), str(submitted))
