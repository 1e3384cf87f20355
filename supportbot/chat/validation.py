"""Checking client frames. Pure functions: a frame in, a command or a ``FrameError`` out."""

from __future__ import annotations

import json
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


def parse_frame(raw: str, *, max_chars: int, max_bytes: int) -> SendMessage | Resume:
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
    raise FrameError("unknown_type", "The type must be 'message' or 'resume'.")


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
    # NUL and other C0 controls except tab/newline have no place in chat text.
    text = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32).strip()
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
