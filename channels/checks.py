"""What a patient's message, conversation id and feedback must look like, for every channel."""

from __future__ import annotations

from typing import Any, Tuple

from contract import HELPFUL_KEY

MAX_SENDER_LENGTH = 128
MAX_MESSAGE_LENGTH = 20_000
# the text of the reply a feedback is about; every card of the article together is under 4,000 characters
MAX_ANSWER_LENGTH = 20_000


class BadInput(ValueError):
    """A request the assistant refuses; the text says what is wrong."""


def checked_sender(sender: Any, field: str = "sender") -> str:
    """Returns `sender` if it is a usable conversation (or message) id, else raises BadInput."""
    if not isinstance(sender, str) or not sender.strip():
        raise BadInput(f"'{field}' must be a non-empty string.")
    if len(sender) > MAX_SENDER_LENGTH or not sender.isprintable():
        raise BadInput(f"'{field}' must be at most {MAX_SENDER_LENGTH} printable characters.")
    return sender


def checked_message(message: Any) -> str:
    """Returns `message` if it is text of an acceptable length, else raises BadInput."""
    if not isinstance(message, str):
        raise BadInput("'message' must be a string.")
    if len(message) > MAX_MESSAGE_LENGTH:
        raise BadInput(f"'message' must be at most {MAX_MESSAGE_LENGTH} characters.")
    return message


def checked_feedback(answer: Any, helpful: Any) -> Tuple[str, bool]:
    """Returns the rated reply's text and the rating if they are well-formed, else raises BadInput."""
    if not isinstance(helpful, bool):
        raise BadInput(f"'{HELPFUL_KEY}' must be true or false.")
    if not isinstance(answer, str) or not answer.strip():
        raise BadInput("'answer' must be a non-empty string.")
    if len(answer) > MAX_ANSWER_LENGTH:
        raise BadInput(f"'answer' must be at most {MAX_ANSWER_LENGTH} characters.")
    return answer, helpful
