"""Checking client frames. Pure functions: a frame in, a command or a ``FrameError`` out."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass


class FrameError(Exception):
    def __init__(self, code: str, detail: str, client_id: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.client_id = client_id


@dataclass(frozen=True, slots=True)
class SendMessage:
    client_id: uuid.UUID
    text: str


@dataclass(frozen=True, slots=True)
class Resume:
    after_seq: int


@dataclass(frozen=True, slots=True)
class Escalate:
    """The widget's "talk to a person" button."""


@dataclass(frozen=True, slots=True)
class Typing:
    pass


@dataclass(frozen=True, slots=True)
class Resolve:
    """The customer says the problem is solved."""


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Csat:
    rating: int
    comment: str


Command = SendMessage | Resume | Escalate | Typing | Contact | Csat | Resolve

MAX_NAME_CHARS = 100
MAX_COMMENT_CHARS = 1000
# Deliberately loose: one @, a dot in the domain, no spaces. The customer typed it for us to
# write back; a stricter pattern only refuses real addresses.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,30}$")


def clean_text(text: str) -> str:
    """``text`` without NUL and the other C0 controls (tab and newline stay), trimmed: they
    have no place in chat text."""
    return "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32).strip()


def parse_frame(raw: str, *, max_chars: int, max_bytes: int) -> Command:
    if len(raw.encode("utf-8", errors="replace")) > max_bytes:
        raise FrameError("frame_too_large", f"Frames are limited to {max_bytes} bytes.")
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError("invalid_json", "The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise FrameError("invalid_json", "The frame must be a JSON object.")
    kind = frame.get("type")
    if kind == "message":
        return _parse_message(frame, max_chars)
    if kind == "resume":
        return _parse_resume(frame)
    if kind == "escalate":
        return Escalate()
    if kind == "typing":
        return Typing()
    if kind == "contact":
        return _parse_contact(frame)
    if kind == "csat":
        return _parse_csat(frame)
    if kind == "resolve":
        return Resolve()
    raise FrameError(
        "unknown_type",
        "The type must be one of message, resume, escalate, typing, contact, csat, resolve.",
    )


def _parse_message(frame: dict, max_chars: int) -> SendMessage:
    if "client_id" not in frame:
        raise FrameError("missing_field", "'client_id' is required.")
    raw_id = frame["client_id"]
    client_id = raw_id if isinstance(raw_id, str) else None
    try:
        parsed_id = uuid.UUID(raw_id) if isinstance(raw_id, str) else None
    except ValueError:
        parsed_id = None
    if parsed_id is None:
        raise FrameError("invalid_field", "'client_id' must be a UUID string.")
    if "text" not in frame:
        raise FrameError("missing_field", "'text' is required.", client_id)
    text = frame["text"]
    if not isinstance(text, str):
        raise FrameError("invalid_field", "'text' must be a string.", client_id)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: JSON allows them, databases do not
        raise FrameError("invalid_field", "'text' is not valid Unicode.", client_id) from None
    text = clean_text(text)
    if not text:
        raise FrameError("empty_text", "The message is empty.", client_id)
    if len(text) > max_chars:
        raise FrameError(
            "text_too_long", f"Messages are limited to {max_chars} characters.", client_id
        )
    return SendMessage(client_id=parsed_id, text=text)


def _parse_resume(frame: dict) -> Resume:
    if "after_seq" not in frame:
        raise FrameError("missing_field", "'after_seq' is required.")
    after = frame["after_seq"]
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise FrameError("invalid_field", "'after_seq' must be a non-negative integer.")
    return Resume(after_seq=after)


def _clean(value: object, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FrameError("invalid_field", f"'{field}' must be a string.")
    value = clean_text(value)
    if len(value) > limit:
        raise FrameError("invalid_field", f"'{field}' is limited to {limit} characters.")
    return value


def _parse_contact(frame: dict) -> Contact:
    name = _clean(frame.get("name"), "name", MAX_NAME_CHARS)
    email = _clean(frame.get("email"), "email", 254)
    phone = _clean(frame.get("phone"), "phone", 32)
    if email and not _EMAIL.match(email):
        raise FrameError("invalid_contact", "The email address does not look right.")
    if phone and not _PHONE.match(phone):
        raise FrameError("invalid_contact", "The phone number does not look right.")
    if not email and not phone:
        raise FrameError("invalid_contact", "Leave an email address or a phone number.")
    return Contact(name=name, email=email, phone=phone)


def _parse_csat(frame: dict) -> Csat:
    if "rating" not in frame:
        raise FrameError("missing_field", "'rating' is required.")
    rating = frame["rating"]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise FrameError("invalid_field", "'rating' must be an integer from 1 to 5.")
    return Csat(rating=rating, comment=_clean(frame.get("comment"), "comment", MAX_COMMENT_CHARS))
