"""The review app (Starlette + Jinja2): login, conversation list, transcript, dashboard, export, audit log."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from starlette.applications import Starlette
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

from review import auth, export, queries, schema, summary
from review.config import Settings
from review.export import iso

HERE = Path(__file__).resolve().parent
PUBLIC_PATHS = ("/login", "/health", "/static/")
MAX_NOTE_LENGTH = 5000
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # pages hold patients' messages: never cached
    "Cache-Control": "no-store",
}


class NoStaffAccount(RuntimeError):
    """The app was asked to start with no staff account to log in with."""


def create_app(settings: Settings, engine: Optional[sa.engine.Engine] = None) -> Starlette:
    """Builds the app on the tracker store's database; refuses to when no staff account exists."""
    engine = engine or sa.create_engine(settings.database_url)
    schema.create_tables(engine)
    if not auth.has_staff(engine):
        raise NoStaffAccount(
            "No staff account: create one with `make staff-user` (or set REVIEW_STAFF_USER and "
            "REVIEW_STAFF_PASSWORD) before starting the review app."
        )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(
        when=lambda timestamp: iso(timestamp).replace("T", " ")[:16] + " UTC",
        quote=lambda value: quote(value, safe=""),
        label=summary.FLAGS.get,
    )
    # a username is locked sooner than an address, which several staff may share
    throttles = {"user": auth.LoginThrottle(limit=5), "ip": auth.LoginThrottle(limit=20)}

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        context.update(
            user=request.session.get("user"),
            csrf_token=auth.csrf_token(request.session),
            flag_labels=summary.FLAGS,
            low_confidence=settings.low_confidence,
            urlencode=lambda params: urlencode(params, doseq=True),
        )
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def filters_of(request: Request) -> queries.Filters:
        try:
            return queries.Filters.from_query(request.query_params)
        except queries.FilterError as error:
            raise HTTPException(400, str(error)) from error

    async def checked_form(request: Request) -> FormData:
        form = await request.form()
        if not auth.csrf_ok(request.session, form.get("csrf_token")):
            raise HTTPException(403, "The form has expired or did not come from this app. Reload and retry.")
        return form

    def audit(request: Request, action: str, detail: Any) -> None:
        with engine.begin() as connection:
            queries.record(connection, request.session.get("user", "-"), action, detail)

    def login_form(request: Request) -> Response:
        return page(request, "login.html", next=request.query_params.get("next", "/"))

    async def login(request: Request) -> Response:
        form = await checked_form(request)
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        keys = {"user": username, "ip": request.client.host if request.client else "-"}
        target = str(form.get("next") or "/")
        # only a path on this app: never //host or /\host, which browsers treat as another site
        target = target if re.match(r"^/(?![/\\])", target) else "/"
        if any(throttles[kind].blocked(key) for kind, key in keys.items()):
            return page(request, "login.html", 429, next=target, error="Too many attempts. Try again later.")
        if not auth.check_login(engine, username, password):
            for kind, key in keys.items():
                throttles[kind].failed(key)
            audit(request, "login_failed", {"username": username[:64]})
            return page(request, "login.html", 401, next=target, error="Wrong username or password.")
        request.session.clear()
        request.session.update(user=username, since=time.time())
        audit(request, "login", {})
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        await checked_form(request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def conversation_list(request: Request) -> Response:
        filters = filters_of(request)
        summary.sync(engine)
        with engine.connect() as connection:
            result = queries.list_conversations(
                connection, filters, settings.low_confidence, settings.page_size
            )
            choices = sorted(queries.intents(connection))
        rows = [dict(row, flags=queries.flags_of(row, settings.low_confidence)) for row in result.rows]
        return page(request, "list.html", filters=filters, result=result, rows=rows, intents=choices)

    def conversation(request: Request) -> Response:
        sender_id = request.path_params["sender_id"]
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
            flags=queries.flags_of(row, settings.low_confidence),
            messages=messages,
            slots=slots,
            notes=staff_notes,
        )

    async def add_note(request: Request) -> Response:
        form = await checked_form(request)
        sender_id = request.path_params["sender_id"]
        body = str(form.get("body", "")).strip()
        if not body or len(body) > MAX_NOTE_LENGTH:
            raise HTTPException(400, f"A note must have 1 to {MAX_NOTE_LENGTH} characters.")
        with engine.begin() as connection:
            if queries.summary_row(connection, sender_id) is None:
                raise HTTPException(404, "No such conversation.")
            queries.add_note(connection, sender_id, request.session["user"], body)
            queries.record(connection, request.session["user"], "note", {"conversation": sender_id})
        return RedirectResponse(f"/conversations/{quote(sender_id, safe='')}#notes", status_code=303)

    async def mark_reviewed(request: Request) -> Response:
        form = await checked_form(request)
        sender_id = request.path_params["sender_id"]
        reviewed = form.get("reviewed") == "1"
        with engine.begin() as connection:
            if queries.summary_row(connection, sender_id) is None:
                raise HTTPException(404, "No such conversation.")
            queries.set_reviewed(connection, sender_id, request.session["user"], reviewed)
            queries.record(
                connection,
                request.session["user"],
                "review",
                {"conversation": sender_id, "reviewed": reviewed},
            )
        return RedirectResponse(f"/conversations/{quote(sender_id, safe='')}", status_code=303)

    def dashboard(request: Request) -> Response:
        filters = filters_of(request)
        summary.sync(engine)
        with engine.connect() as connection:
            figures = queries.dashboard(connection, filters, settings.low_confidence)
        return page(request, "dashboard.html", filters=filters, figures=figures)

    async def download(request: Request) -> Response:
        form = await checked_form(request)
        filters = filters_of(request)
        fmt = str(form.get("format"))
        if fmt not in export.FORMATS:
            raise HTTPException(400, f"The format must be one of {', '.join(export.FORMATS)}.")
        redacted = form.get("unredacted") != "1"
        summary.sync(engine)
        audit(request, "export", {"format": fmt, "redacted": redacted, "filters": filters.query(page=None)})

        def pieces() -> Any:
            with engine.connect() as connection:
                found = queries.export_conversations(connection, filters, settings.low_confidence)
                yield from export.render(found, fmt, settings.low_confidence, redacted)

        media = {"csv": "text/csv; charset=utf-8", "json": "application/json"}[fmt]
        name = f"conversations-{time.strftime('%Y%m%d-%H%M%S')}{'' if redacted else '-unredacted'}.{fmt}"
        return StreamingResponse(
            pieces(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    def audit_page(request: Request) -> Response:
        with engine.connect() as connection:
            entries = queries.audit_log(connection)
        return page(request, "audit.html", entries=entries)

    def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def error_page(request: Request, error: HTTPException) -> Response:
        return page(request, "error.html", error.status_code, message=error.detail, status=error.status_code)

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if not request.session.get("user") and not path.startswith(PUBLIC_PATHS):
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    routes = [
        Route("/", conversation_list),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/conversations/{sender_id:path}/notes", add_note, methods=["POST"]),
        Route("/conversations/{sender_id:path}/review", mark_reviewed, methods=["POST"]),
        Route("/conversations/{sender_id:path}", conversation),
        Route("/dashboard", dashboard),
        Route("/export", download, methods=["POST"]),
        Route("/audit", audit_page),
        Route("/health", health),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    handlers: Dict[Any, Any] = {HTTPException: error_page}
    return Starlette(
        routes=routes,
        exception_handlers=handlers,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="review_session",
                max_age=int(settings.session_hours * 3600),
                same_site="strict",
                https_only=settings.secure_cookies,
            ),
            Middleware(BaseHTTPMiddleware, dispatch=guard),
        ],
    )
