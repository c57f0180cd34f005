"""Every query the review app makes, in one place: parameterised SQLAlchemy Core, nothing else."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import sqlalchemy as sa

from contract import (
    ANSWER_AT_KEY,
    ANSWER_FEEDBACK_SLOT,
    FACTS_KEY,
    GAPS_KEY,
    HELPFUL_KEY,
    RED_FLAGS_KEY,
    SYMPTOMS_MENTIONED_KEY,
    TREATMENTS,
)
from review import schema
from review.summary import FLAGS, is_payload, turn_of

INTENT_NAME = re.compile(r"^[a-z_]{1,64}$")
MAX_SEARCH_LENGTH = 200
# the dates a filter may name: far enough for any real conversation, near enough to count days in
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2999, 12, 31)
EXPORT_CHUNK = 500
CHART_DAYS = 30
MAX_CHART_DAYS = 366


class FilterError(ValueError):
    """A filter value that is not valid; the text says which."""


@dataclass(frozen=True)
class Filters:
    """The list's filters, as the URL carries them."""

    flags: Tuple[str, ...] = ()
    since: Optional[date] = None
    until: Optional[date] = None
    intent: Optional[str] = None
    treatment: Optional[str] = None
    text: Optional[str] = None
    page: int = 1

    @classmethod
    def from_query(cls, params: Any) -> "Filters":
        """Reads and checks the filters from query parameters (a multi-dict); raises FilterError."""
        flags = tuple(dict.fromkeys(params.getlist("flag")))
        unknown = [f for f in flags if f not in FLAGS]
        if unknown:
            raise FilterError(f"Unknown flag: {unknown[0]!r}.")
        intent = params.get("intent") or None
        if intent is not None and not INTENT_NAME.match(intent):
            raise FilterError("An intent name has only lower-case letters and underscores.")
        treatment = params.get("treatment") or None
        if treatment is not None and treatment not in TREATMENTS:
            raise FilterError(f"The treatment must be one of {', '.join(TREATMENTS)}.")
        text = (params.get("q") or "").strip() or None
        if text is not None and len(text) > MAX_SEARCH_LENGTH:
            raise FilterError(f"The search text must be at most {MAX_SEARCH_LENGTH} characters.")
        try:
            page = int(params.get("page") or 1)
        except ValueError:
            raise FilterError("The page must be a number.") from None
        if not 1 <= page <= 1_000_000:
            raise FilterError("The page must be a positive number.")
        since, until = _date(params.get("since"), "since"), _date(params.get("until"), "until")
        if since and until and since > until:
            raise FilterError("'since' must not be after 'until'.")
        return cls(flags, since, until, intent, treatment, text, page)

    def query(self, **changes: Any) -> Dict[str, Any]:
        """The filters as query parameters (for links), with `changes` applied."""
        values = {
            "flag": list(self.flags),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "intent": self.intent,
            "treatment": self.treatment,
            "q": self.text,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, [], "")}

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.flags or self.since or self.until or self.intent or self.treatment or self.text)


def _date(value: Optional[str], name: str) -> Optional[date]:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"'{name}' must be a date like 2026-01-31.") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise FilterError(f"'{name}' must be between {EARLIEST_DAY} and {LATEST_DAY}.")
    return day


def _timestamp(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def _within(column: Any, filters: Filters) -> List[Any]:
    """`column` (a timestamp) on or after the filters' first day and before the end of their last."""
    return [
        *([column >= _timestamp(filters.since)] if filters.since else []),
        *([column < _timestamp(filters.until + timedelta(days=1))] if filters.until else []),
    ]


def _contains(column: Any, text: str) -> Any:
    """`column` (lower-case text) contains `text` literally: LIKE's wildcards in it escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def conditions(filters: Filters, low_confidence: float) -> List[Any]:
    """The WHERE conditions on review_conversations for these filters."""
    c, t = schema.conversations.c, schema.turns.c
    where: List[Any] = []
    for flag in filters.flags:
        if flag == "low_confidence":
            where.append(c.min_confidence < low_confidence)
        else:
            where.append(getattr(c, flag).is_(True))
    where.extend(_within(c.started_at, filters))
    # uncorrelated subqueries: each runs once, on its index, rather than once per conversation
    if filters.intent:
        where.append(c.sender_id.in_(sa.select(t.sender_id).where(t.intent == filters.intent)))
    if filters.treatment:
        where.append(c.sender_id.in_(sa.select(t.sender_id).where(t.treatment == filters.treatment)))
    if filters.text:
        where.append(_contains(c.search_text, filters.text))
    return where


@dataclass
class Page:
    """One page of the conversation list."""

    rows: List[Mapping[str, Any]]
    total: int
    page: int
    pages: int


def list_conversations(
    connection: sa.engine.Connection, filters: Filters, low_confidence: float, page_size: int
) -> Page:
    """The filtered conversations, newest first, one page of them, with whether each was reviewed."""
    c, m = schema.conversations.c, schema.marks.c
    where = conditions(filters, low_confidence)
    total = connection.execute(
        sa.select(sa.func.count()).select_from(schema.conversations).where(*where)
    ).scalar()
    rows = connection.execute(
        sa.select(schema.conversations, m.reviewed_by)
        .select_from(schema.conversations.outerjoin(schema.marks, m.sender_id == c.sender_id))
        .where(*where)
        .order_by(c.started_at.desc(), c.sender_id)
        .limit(page_size)
        .offset((filters.page - 1) * page_size)
    )
    return Page(
        rows=[dict(row._mapping) for row in rows],
        total=total,
        page=filters.page,
        pages=max(1, -(-total // page_size)),
    )


def flags_of(row: Mapping[str, Any], low_confidence: float) -> List[str]:
    """The flags a review_conversations row raises."""
    raised = [
        flag
        for flag in ("red_flag", "symptom_mentioned", "fallback", "gap", "handoff", "not_helpful")
        if row[flag]
    ]
    if row["min_confidence"] is not None and row["min_confidence"] < low_confidence:
        raised.append("low_confidence")
    return raised


def intents(connection: sa.engine.Connection) -> List[str]:
    """The intents patients' messages were classified as, for the filter's choices."""
    t = schema.turns.c
    return [row[0] for row in connection.execute(sa.select(t.intent).where(t.intent.isnot(None)).distinct())]


@dataclass
class Message:
    """One line of a transcript."""

    event_id: int
    at: float
    speaker: str  # patient | assistant
    text: str
    details: Dict[str, Any] = field(default_factory=dict)


def transcript(connection: sa.engine.Connection, sender_id: str) -> Tuple[List[Message], Dict[str, Any]]:
    """A conversation's messages from Rasa's events, with what the assistant understood and cited."""
    e = schema.events.c
    rows = connection.execute(
        sa.select(e.id, e.type_name, e.timestamp, e.data)
        .where(e.sender_id == sender_id, e.type_name.in_(("user", "bot", "slot")))
        .order_by(e.id)
    )
    messages: List[Message] = []
    slots: Dict[str, Any] = {}
    answers: Dict[float, Message] = {}  # the assistant's messages by their event's timestamp
    for row in rows:
        event = json.loads(row.data or "{}")
        if row.type_name == "slot" and event.get("name") == ANSWER_FEEDBACK_SLOT:
            rating = event.get("value") or {}
            if isinstance(rating, dict) and rating.get(ANSWER_AT_KEY) in answers:
                answers[rating[ANSWER_AT_KEY]].details["found_helpful"] = bool(rating.get(HELPFUL_KEY))
        elif row.type_name == "slot":
            slots[event.get("name")] = event.get("value")
        elif row.type_name == "user":
            turn = turn_of(row.id, row.timestamp, event)  # read as the summaries read it
            details = {
                "intent": turn.intent,
                "confidence": turn.confidence,
                "entities": [(x.get("entity"), x.get("value")) for x in turn.entities],
                "treatment": turn.treatment,
                RED_FLAGS_KEY: [
                    flag.get("label") for flag in (event.get("parse_data") or {}).get(RED_FLAGS_KEY) or []
                ],
                SYMPTOMS_MENTIONED_KEY: [
                    flag.get("label")
                    for flag in (event.get("parse_data") or {}).get(SYMPTOMS_MENTIONED_KEY) or []
                ],
                "button": is_payload(turn.text),
            }
            messages.append(Message(row.id, row.timestamp, "patient", turn.text, details))
        else:
            metadata = event.get("metadata") or {}
            buttons = (event.get("data") or {}).get("buttons") or []
            details = {
                "facts": metadata.get(FACTS_KEY) or [],
                "gaps": metadata.get(GAPS_KEY) or [],
                "response": metadata.get("utter_action"),
                "buttons": [b.get("title") for b in buttons],
                "found_helpful": None,  # the patient's rating, if they gave one
            }
            messages.append(Message(row.id, row.timestamp, "assistant", event.get("text") or "", details))
            answers[event.get("timestamp", row.timestamp)] = messages[-1]
    return messages, slots


def summary_row(connection: sa.engine.Connection, sender_id: str) -> Optional[Mapping[str, Any]]:
    """A conversation's summary row and its review mark, if the conversation exists."""
    c, m = schema.conversations.c, schema.marks.c
    row = connection.execute(
        sa.select(schema.conversations, m.reviewed_by, m.reviewed_at)
        .select_from(schema.conversations.outerjoin(schema.marks, m.sender_id == c.sender_id))
        .where(c.sender_id == sender_id)
    ).first()
    return dict(row._mapping) if row else None


def notes(connection: sa.engine.Connection, sender_id: str) -> List[Mapping[str, Any]]:
    """Staff notes on a conversation, oldest first."""
    n = schema.notes.c
    rows = connection.execute(sa.select(schema.notes).where(n.sender_id == sender_id).order_by(n.id))
    return [dict(row._mapping) for row in rows]


def add_note(connection: sa.engine.Connection, sender_id: str, author: str, body: str) -> None:
    """Adds a staff note to a conversation."""
    connection.execute(
        schema.notes.insert().values(sender_id=sender_id, author=author, body=body, created_at=time.time())
    )


def set_reviewed(connection: sa.engine.Connection, sender_id: str, username: str, reviewed: bool) -> None:
    """Marks a conversation reviewed by `username`, or clears the mark."""
    connection.execute(schema.marks.delete().where(schema.marks.c.sender_id == sender_id))
    if reviewed:
        connection.execute(
            schema.marks.insert().values(sender_id=sender_id, reviewed_by=username, reviewed_at=time.time())
        )


def record(connection: sa.engine.Connection, username: str, action: str, detail: Any) -> None:
    """Writes an audit log entry: who did what."""
    connection.execute(
        schema.audit.insert().values(
            at=time.time(), username=username, action=action, detail=json.dumps(detail, sort_keys=True)
        )
    )


AUDIT_ACTIONS = (
    "login", "login_failed", "logout", "list", "dashboard", "view", "note", "review", "export", "inbox",
    "correct", "export_training",
)  # fmt: skip


def audit_log(
    connection: sa.engine.Connection, page: int = 1, action: Optional[str] = None, page_size: int = 200
) -> Tuple[List[Mapping[str, Any]], bool]:
    """One page of the audit log, newest first (of one action, if given), and whether older entries exist.

    Every entry stays reachable however many come after it: a flood of failed logins can't push the
    record of an export out of sight.
    """
    a = schema.audit.c
    query = sa.select(schema.audit).where(*([a.action == action] if action else []))
    rows = connection.execute(
        query.order_by(a.id.desc()).offset((page - 1) * page_size).limit(page_size + 1)
    ).all()
    return [dict(r._mapping) for r in rows[:page_size]], len(rows) > page_size


@dataclass
class Dashboard:
    """The dashboard's figures."""

    per_day: List[Tuple[str, int]]
    red_flags_per_day: List[Tuple[str, int]]
    by_topic: List[Tuple[str, Dict[str, int]]]
    gaps: List[Tuple[str, int]]
    # (intent, treatment, answers rated, rated not helpful), the most often unhelpful first
    not_helpful: List[Tuple[str, str, int, int]] = field(default_factory=list)


def dashboard(connection: sa.engine.Connection, filters: Filters, low_confidence: float) -> Dashboard:
    """Conversations and red flags per day, questions by topic and treatment, the most asked gaps."""
    c, t = schema.conversations.c, schema.turns.c
    where = conditions(filters, low_confidence)
    in_scope = [t.sender_id.in_(sa.select(c.sender_id).where(*where))] if where else []
    per_day = connection.execute(
        sa.select(c.started_day, sa.func.count())
        .where(*where)
        .group_by(c.started_day)
        .order_by(c.started_day)
    ).all()
    red_flags = connection.execute(
        sa.select(t.day, sa.func.count())
        .where(t.red_flag.is_(True), *in_scope)
        .group_by(t.day)
        .order_by(t.day)
    ).all()
    by_topic: Dict[str, Dict[str, int]] = {}
    for intent, treatment, count in connection.execute(
        sa.select(t.intent, t.treatment, sa.func.count())
        .where(t.intent.isnot(None), *in_scope)
        .group_by(t.intent, t.treatment)
    ):
        by_topic.setdefault(intent, {})[treatment or "none"] = count
    question = sa.func.lower(t.text)
    gaps = connection.execute(
        sa.select(question, sa.func.count().label("n"))
        .where(t.gap.is_(True), t.text.isnot(None), *in_scope)
        .group_by(question)
        .order_by(sa.desc("n"), question)
        .limit(25)
    ).all()
    unhelpful = sa.func.sum(sa.case((t.found_helpful.is_(False), 1), else_=0))
    rated = connection.execute(
        sa.select(t.intent, t.treatment, sa.func.count().label("rated"), unhelpful.label("unhelpful"))
        .where(t.found_helpful.isnot(None), *in_scope)
        .group_by(t.intent, t.treatment)
        .order_by(sa.desc("unhelpful"), sa.desc("rated"))
    ).all()
    start, end = _period(filters, [r[0] for r in per_day])
    return Dashboard(
        per_day=_every_day(per_day, start, end),
        red_flags_per_day=_every_day(red_flags, start, end),
        by_topic=sorted(by_topic.items(), key=lambda item: -sum(item[1].values())),
        gaps=[tuple(r) for r in gaps],
        not_helpful=[(intent or "-", treatment or "none", n, bad) for intent, treatment, n, bad in rated],
    )


def _period(filters: Filters, days: List[str]) -> Tuple[date, date]:
    """The days the charts show: the filter's dates, else at least the 30 days up to the latest."""
    latest = date.fromisoformat(days[-1]) if days else datetime.now(timezone.utc).date()
    end = filters.until or latest
    start = filters.since or min(
        [end - timedelta(days=CHART_DAYS - 1)] + [date.fromisoformat(d) for d in days[:1]]
    )
    return max(start, end - timedelta(days=MAX_CHART_DAYS - 1)), end


def _every_day(counts: List[Any], start: date, end: date) -> List[Tuple[str, int]]:
    by_day = dict(tuple(row) for row in counts)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [(day.isoformat(), by_day.get(day.isoformat(), 0)) for day in days]


def export_conversations(
    connection: sa.engine.Connection, filters: Filters, low_confidence: float
) -> Iterator[Tuple[Mapping[str, Any], List[Message]]]:
    """Every filtered conversation (all pages), newest first, with its transcript."""
    c = schema.conversations.c
    senders = [
        row[0]
        for row in connection.execute(
            sa.select(c.sender_id).where(*conditions(filters, low_confidence)).order_by(c.started_at.desc())
        )
    ]
    for start in range(0, len(senders), EXPORT_CHUNK):
        chunk = senders[start : start + EXPORT_CHUNK]
        rows = {
            row.sender_id: dict(row._mapping)
            for row in connection.execute(sa.select(schema.conversations).where(c.sender_id.in_(chunk)))
        }
        for sender in chunk:
            yield rows[sender], transcript(connection, sender)[0]


# Why a patient's message is in the inbox: the assistant didn't understand it, or the patient said so
INBOX_REASONS = ("fallback", "low_confidence", "gap", "not_helpful")
INBOX_STATUSES = ("open", "corrected", "all")


@dataclass
class InboxGroup:
    """Near-identical patient messages the assistant missed: how often, the latest one, its correction."""

    key: str
    count: int
    last_at: float
    event_id: int  # the latest message of the group, the one shown and corrected
    sender_id: str
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    treatment: Optional[str]
    reasons: List[str]
    correction: Optional[Mapping[str, Any]] = None


@dataclass
class InboxPage:
    """One page of the inbox."""

    groups: List[InboxGroup]
    total: int
    page: int
    pages: int


def _inbox_reasons(low_confidence: float) -> Dict[str, Any]:
    """Each of INBOX_REASONS as a condition on review_turns."""
    t = schema.turns.c
    return {
        "fallback": t.fallback.is_(True),
        "low_confidence": t.confidence < low_confidence,
        "gap": t.gap.is_(True),
        "not_helpful": t.found_helpful.is_(False),
    }


def _inbox_conditions(filters: Filters, status: str, low_confidence: float) -> List[Any]:
    """The WHERE conditions on review_turns: typed messages with any of the reasons, and the filters."""
    t = schema.turns.c
    reason = _inbox_reasons(low_confidence)
    where = [t.group_key.isnot(None), sa.or_(*(reason[r] for r in filters.flags or INBOX_REASONS))]
    where.extend(_within(t.at, filters))
    if filters.intent:
        where.append(t.intent == filters.intent)
    if filters.treatment:
        where.append(t.treatment == filters.treatment)
    if filters.text:
        where.append(_contains(sa.func.lower(t.text), filters.text))
    corrected = t.group_key.in_(sa.select(schema.corrections.c.group_key))
    if status == "open":
        where.append(sa.not_(corrected))
    elif status == "corrected":
        where.append(corrected)
    return where


def inbox(
    connection: sa.engine.Connection, filters: Filters, status: str, low_confidence: float, page_size: int
) -> InboxPage:
    """Groups of near-identical messages the assistant missed, most frequent first, then most recent.

    A message is in when it fell back, had low confidence, got a gap answer or a "not helpful" (any of
    them, or of the reasons `filters.flags` picks).
    """
    t, k = schema.turns.c, schema.corrections.c
    where = _inbox_conditions(filters, status, low_confidence)

    def any_of(condition: Any) -> Any:
        return sa.func.max(sa.case((condition, 1), else_=0))

    grouped = (
        sa.select(
            t.group_key,
            sa.func.count().label("n"),
            sa.func.max(t.at).label("last_at"),
            sa.func.max(t.event_id).label("event_id"),
            *(any_of(condition).label(name) for name, condition in _inbox_reasons(low_confidence).items()),
        )
        .where(*where)
        .group_by(t.group_key)
    )
    # the number of groups in the same pass (a window over the groups), not in a second aggregation
    rows = connection.execute(
        grouped.add_columns(sa.func.count().over().label("total"))
        .order_by(sa.desc("n"), sa.desc("last_at"), t.group_key)
        .limit(page_size)
        .offset((filters.page - 1) * page_size)
    ).all()
    total = rows[0].total if rows else 0
    if not rows and filters.page > 1:  # past the last page: count them after all
        total = connection.execute(sa.select(sa.func.count()).select_from(grouped.subquery())).scalar() or 0
    latest = {
        row.event_id: row
        for row in connection.execute(
            sa.select(t.event_id, t.sender_id, t.text, t.intent, t.confidence, t.treatment).where(
                t.event_id.in_([r.event_id for r in rows])
            )
        )
    }
    corrections = {
        row.group_key: row._mapping
        for row in connection.execute(
            sa.select(schema.corrections).where(k.group_key.in_([r.group_key for r in rows]))
        )
    }
    groups = [
        InboxGroup(
            key=row.group_key,
            count=row.n,
            last_at=row.last_at,
            event_id=row.event_id,
            sender_id=latest[row.event_id].sender_id,
            text=latest[row.event_id].text,
            intent=latest[row.event_id].intent,
            confidence=latest[row.event_id].confidence,
            treatment=latest[row.event_id].treatment,
            reasons=[reason for reason in INBOX_REASONS if row._mapping[reason]],
            correction=corrections.get(row.group_key),
        )
        for row in rows
    ]
    return InboxPage(groups, total, filters.page, max(1, -(-total // page_size)))


def save_correction(
    connection: sa.engine.Connection, event_id: int, values: Mapping[str, Any], username: str
) -> Optional[str]:
    """Labels the group of the typed message `event_id` (over any earlier label); None if no such message.

    `values` holds the outcome and its intent, treatment or gap topic (review/corrections.py checks them).
    Returns the group's key.
    """
    t, k = schema.turns.c, schema.corrections.c
    turn = connection.execute(
        sa.select(t.group_key, t.sender_id).where(t.event_id == event_id, t.group_key.isnot(None))
    ).first()
    if turn is None:
        return None
    connection.execute(schema.corrections.delete().where(k.group_key == turn.group_key))
    connection.execute(
        schema.corrections.insert().values(
            group_key=turn.group_key,
            event_id=event_id,
            sender_id=turn.sender_id,
            corrected_by=username,
            corrected_at=time.time(),
            **values,
        )
    )
    return turn.group_key


def gap_topics(connection: sa.engine.Connection) -> List[str]:
    """The article gaps staff have named so far, for suggestions."""
    k = schema.corrections.c
    return [
        row[0]
        for row in connection.execute(
            sa.select(k.gap_topic).where(k.gap_topic.isnot(None)).distinct().order_by(k.gap_topic)
        )
    ]


def corrections_since(connection: sa.engine.Connection, since: float) -> List[Mapping[str, Any]]:
    """The corrections made since `since` (a timestamp), each with the patient's message it labels."""
    t, k = schema.turns.c, schema.corrections.c
    rows = connection.execute(
        sa.select(schema.corrections, t.text)
        .select_from(schema.corrections.join(schema.turns, t.event_id == k.event_id))
        .where(k.corrected_at >= since)
        .order_by(k.outcome, k.intent, k.corrected_at)
    )
    return [row._mapping for row in rows]
