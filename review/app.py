"""The review app (Starlette + Jinja2): login, conversation list, transcript, inbox, dashboard, export, audit.

The handlers are module-level functions; what they share (settings, the database engine, the login
throttle) lives on `app.state`, set by `create_app`.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from review import auth, corrections, export, queries, schema, summary
from review.config import Settings
from review.export import iso
from review.redact import redact

HERE = Path(__file__).resolve().parent
PUBLIC_PATHS = ("/login", "/health", "/static/")
# a patient's first message in the list, at most this long (the whole of it is on its conversation page)
LIST_TEXT_LENGTH = 300
MAX_NOTE_LENGTH = 5000
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # pages hold patients' messages: never cached
    "Cache-Control": "no-store",
}

TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
TEMPLATES.env.filters.update(
    when=lambda timestamp: iso(timestamp).replace("T", " ")[:16] + " UTC",
    quote=lambda value: quote(value, safe=""),
    label=summary.FLAGS.get,
)


class NoStaffAccount(RuntimeError):
    """The app was asked to start with no staff account to log in with."""


def settings_of(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def engine_of(request: Request) -> sa.engine.Engine:
    """The tracker store's database."""
    return request.app.state.engine


def user_of(request: Request) -> str:
    """The member of staff whose live session made the request (set by `guard`), or ""."""
    return getattr(request.state, "user", None) or ""


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """Renders a template with what every page needs: the user, the CSRF token, the flags' labels."""
    context.setdefault("flag_labels", summary.FLAGS)
    context.update(
        user=user_of(request) or None,
        csrf_token=auth.csrf_token(request.session),
        low_confidence=settings_of(request).low_confidence,
        urlencode=lambda params: urlencode(params, doseq=True),
    )
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def filters_of(request: Request) -> queries.Filters:
    """The list's and dashboard's filters from the query string; 400 when one is malformed."""
    try:
        return queries.Filters.from_query(request.query_params)
    except queries.FilterError as error:
        raise HTTPException(400, str(error)) from error


async def checked_form(request: Request) -> FormData:
    """The posted form, when it carries this session's CSRF token; 403 otherwise."""
    form = await request.form()
    if not auth.csrf_ok(request.session, form.get("csrf_token")):
        raise HTTPException(403, "The form has expired or did not come from this app. Reload and retry.")
    return form


def audit(request: Request, action: str, detail: Any) -> None:
    """Records who did what in the audit log."""
    with engine_of(request).begin() as connection:
        queries.record(connection, user_of(request) or "-", action, detail)


def login_form(request: Request) -> Response:
    """The login page."""
    return page(request, "login.html", next=request.query_params.get("next", "/"))


async def login(request: Request) -> Response:
    """Checks a login, slowing down repeated failures of one username from one client."""
    form = await checked_form(request)
    engine, throttle = engine_of(request), request.app.state.throttle
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    # the socket's address: uvicorn trusts X-Forwarded-For only from REVIEW_TRUSTED_PROXIES
    client = request.client.host if request.client else "-"
    target = str(form.get("next") or "/")
    # only a path on this app: never //host or /\host, which browsers treat as another site
    target = target if re.match(r"^/(?![/\\])", target) else "/"
    wait = throttle.wait(username, client)
    if wait > 0:
        error = f"Too many attempts. Try again in {math.ceil(wait)} seconds."
        response = page(request, "login.html", 429, next=target, error=error)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    # scrypt takes tens of milliseconds: off the event loop, so other staff's pages don't wait
    if not await run_in_threadpool(auth.check_login, engine, username, password):
        throttle.failed(username, client)
        audit(request, "login_failed", {"username": username[:64]})
        return page(request, "login.html", 401, next=target, error="Wrong username or password.")
    throttle.succeeded(username, client)
    request.session.clear()
    request.session["session_id"] = await run_in_threadpool(auth.start_session, engine, username)
    request.state.user = username
    audit(request, "login", {})
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    """Ends the session on the server, so a copy of its cookie is worthless."""
    await checked_form(request)
    audit(request, "logout", {})
    await run_in_threadpool(auth.end_session, engine_of(request), request.session.get("session_id", ""))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def conversation_list(request: Request) -> Response:
    """The conversations, filtered, newest first, with their flags and first messages."""
    filters, settings, engine = filters_of(request), settings_of(request), engine_of(request)
    summary.sync(engine)
    with engine.connect() as connection:
        result = queries.list_conversations(connection, filters, settings.low_confidence, settings.page_size)
        choices = sorted(queries.intents(connection))
    rows = [dict(row, flags=queries.flags_of(row, settings.low_confidence)) for row in result.rows]
    audit(request, "list", {"filters": filters.query()})  # the list shows patients' first messages
    return page(
        request, "list.html", filters=filters, result=result, rows=rows, intents=choices,
        list_text_length=LIST_TEXT_LENGTH,
    )  # fmt: skip


def conversation(request: Request) -> Response:
    """One conversation's transcript, with what the assistant understood and cited, and staff notes."""
    sender_id, engine = request.path_params["sender_id"], engine_of(request)
    summary.sync(engine)
    with engine.connect() as connection:
        row = queries.summary_row(connection, sender_id)
        if row is None:
            raise HTTPException(404, "No such conversation.")
        messages, slots = queries.transcript(connection, sender_id)
        staff_notes = queries.notes(connection, sender_id)
    audit(request, "view", {"conversation": sender_id})
    return page(
        request,
        "conversation.html",
        row=row,
        flags=queries.flags_of(row, settings_of(request).low_confidence),
        messages=messages,
        slots=slots,
        notes=staff_notes,
    )


async def add_note(request: Request) -> Response:
    """Adds a member of staff's note to a conversation."""
    form = await checked_form(request)
    sender_id = request.path_params["sender_id"]
    body = str(form.get("body", "")).strip()
    if not body or len(body) > MAX_NOTE_LENGTH:
        raise HTTPException(400, f"A note must have 1 to {MAX_NOTE_LENGTH} characters.")
    with engine_of(request).begin() as connection:
        if queries.summary_row(connection, sender_id) is None:
            raise HTTPException(404, "No such conversation.")
        queries.add_note(connection, sender_id, user_of(request), body)
        queries.record(connection, user_of(request), "note", {"conversation": sender_id})
    return RedirectResponse(f"/conversations/{quote(sender_id, safe='')}#notes", status_code=303)


async def mark_reviewed(request: Request) -> Response:
    """Marks a conversation reviewed, or not."""
    form = await checked_form(request)
    sender_id = request.path_params["sender_id"]
    reviewed = form.get("reviewed") == "1"
    with engine_of(request).begin() as connection:
        if queries.summary_row(connection, sender_id) is None:
            raise HTTPException(404, "No such conversation.")
        queries.set_reviewed(connection, sender_id, user_of(request), reviewed)
        queries.record(
            connection, user_of(request), "review", {"conversation": sender_id, "reviewed": reviewed}
        )
    return RedirectResponse(f"/conversations/{quote(sender_id, safe='')}", status_code=303)


def inbox(request: Request) -> Response:
    """What the assistant didn't understand, grouped and most frequent first, each with a correction form."""
    filters, settings, engine = filters_of(request), settings_of(request), engine_of(request)
    status = request.query_params.get("status") or "open"
    if not set(filters.flags) <= set(queries.INBOX_REASONS):
        raise HTTPException(400, f"The inbox's reasons are {', '.join(queries.INBOX_REASONS)}.")
    if status not in queries.INBOX_STATUSES:
        raise HTTPException(400, f"The status must be one of {', '.join(queries.INBOX_STATUSES)}.")
    summary.sync(engine)
    with engine.connect() as connection:
        result = queries.inbox(connection, filters, status, settings.low_confidence, settings.page_size)
        choices = sorted(queries.intents(connection))
        named_gaps = queries.gap_topics(connection)
    audit(request, "inbox", {"filters": filters.query(), "status": status})  # it shows patients' messages
    return page(
        request, "inbox.html", filters=filters, status=status, result=result, intents=choices,
        flag_labels={reason: summary.FLAGS[reason] for reason in queries.INBOX_REASONS},
        correctable=corrections.correctable_intents(), gap_suggestions=corrections.suggestions(named_gaps),
        describe=corrections.describe, list_text_length=LIST_TEXT_LENGTH,
    )  # fmt: skip


async def correct(request: Request) -> Response:
    """Labels a group of near-identical messages with what it should have been (over any earlier label)."""
    form = await checked_form(request)
    event_id = str(form.get("event_id") or "")
    if not re.fullmatch(r"[0-9]{1,18}", event_id):
        raise HTTPException(400, "Say which message to correct.")
    try:
        values = corrections.checked(form)
    except corrections.CorrectionError as error:
        raise HTTPException(400, str(error)) from error
    with engine_of(request).begin() as connection:
        if queries.save_correction(connection, int(event_id), values, user_of(request)) is None:
            raise HTTPException(404, "No such patient message.")
        queries.record(connection, user_of(request), "correct", {"message": int(event_id), **values})
    back = str(form.get("back") or "")
    # back to the inbox page it came from, never elsewhere
    return RedirectResponse(back if re.match(r"^/inbox(\?[^#]*)?$", back) else "/inbox", status_code=303)


def dashboard(request: Request) -> Response:
    """Figures over the filtered conversations: intents, treatments, flags, the article's gaps."""
    filters, engine = filters_of(request), engine_of(request)
    summary.sync(engine)
    with engine.connect() as connection:
        figures = queries.dashboard(connection, filters, settings_of(request).low_confidence)
    # an aggregate page: the patients' own words of the gap list are shown redacted, like an export
    figures = dataclasses.replace(figures, gaps=[(redact(question), n) for question, n in figures.gaps])
    audit(request, "dashboard", {"filters": filters.query(page=None)})
    return page(request, "dashboard.html", filters=filters, figures=figures)


async def download(request: Request) -> Response:
    """Exports the filtered conversations as CSV or JSON, redacted unless asked otherwise."""
    form = await checked_form(request)
    filters, settings, engine = filters_of(request), settings_of(request), engine_of(request)
    fmt = str(form.get("format"))
    if fmt not in export.FORMATS:
        raise HTTPException(400, f"The format must be one of {', '.join(export.FORMATS)}.")
    redacted = form.get("unredacted") != "1"
    summary.sync(engine)
    audit(request, "export", {"format": fmt, "redacted": redacted, "filters": filters.query(page=None)})

    def pieces() -> Any:
        with engine.connect() as connection:
            found = queries.export_conversations(connection, filters, settings.low_confidence)
            key = settings.pseudonym_key if redacted else None
            yield from export.render(found, fmt, settings.low_confidence, key)

    media = {"csv": "text/csv; charset=utf-8", "json": "application/json"}[fmt]
    name = f"conversations-{time.strftime('%Y%m%d-%H%M%S')}{'' if redacted else '-unredacted'}.{fmt}"
    return StreamingResponse(
        pieces(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def audit_page(request: Request) -> Response:
    """The audit log, newest first, a page at a time, filtered by action."""
    action = request.query_params.get("action") or None
    try:
        number = int(request.query_params.get("page") or 1)
    except ValueError:
        raise HTTPException(400, "The page must be a number.") from None
    if action not in (None, *queries.AUDIT_ACTIONS) or not 1 <= number <= 1_000_000:
        raise HTTPException(400, f"The action must be one of {', '.join(queries.AUDIT_ACTIONS)}.")
    with engine_of(request).connect() as connection:
        entries, older = queries.audit_log(connection, number, action)
    return page(
        request, "audit.html", entries=entries, page_number=number, older=older, action=action,
        actions=queries.AUDIT_ACTIONS,
    )  # fmt: skip


def health(request: Request) -> Response:
    """For load balancers: the app is up (no login needed, nothing read)."""
    return PlainTextResponse("ok")


async def error_page(request: Request, error: HTTPException) -> Response:
    """An HTTP error as a page of the app."""
    return page(request, "error.html", error.status_code, message=error.detail, status=error.status_code)


async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Lets a request through only with a live staff session (but the public paths); adds the headers."""
    settings, path = settings_of(request), request.url.path
    session_id = request.session.get("session_id")
    request.state.user = session_id and await run_in_threadpool(
        auth.session_user,
        engine_of(request),
        session_id,
        settings.idle_minutes * 60,
        settings.session_hours * 3600,
    )
    if session_id and not request.state.user:  # ended, idle too long or too old: log in again
        request.session.pop("session_id")
    if not request.state.user and not path.startswith(PUBLIC_PATHS):
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


ROUTES = [
    Route("/", conversation_list),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/conversations/{sender_id:path}/notes", add_note, methods=["POST"]),
    Route("/conversations/{sender_id:path}/review", mark_reviewed, methods=["POST"]),
    Route("/conversations/{sender_id:path}", conversation),
    Route("/inbox", inbox),
    Route("/inbox/corrections", correct, methods=["POST"]),
    Route("/dashboard", dashboard),
    Route("/export", download, methods=["POST"]),
    Route("/audit", audit_page),
    Route("/health", health),
    Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
]

EXCEPTION_HANDLERS: Dict[Any, Any] = {HTTPException: error_page}


def create_app(settings: Settings, engine: Optional[sa.engine.Engine] = None) -> Starlette:
    """Builds the app on the tracker store's database; refuses to when no staff account exists."""
    engine = engine or sa.create_engine(settings.database_url)
    schema.create_tables(engine)
    if not auth.has_staff(engine):
        raise NoStaffAccount(
            "No staff account: create one with `make staff-user` (or set REVIEW_STAFF_USER and "
            "REVIEW_STAFF_PASSWORD) before starting the review app."
        )
    session_cookie = Middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="review_session",
        max_age=int(settings.session_hours * 3600),
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app = Starlette(
        routes=ROUTES,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[session_cookie, Middleware(BaseHTTPMiddleware, dispatch=guard)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.throttle = auth.LoginThrottle()
    return app
