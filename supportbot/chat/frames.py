"""The JSON frames of docs/protocol.md, built in one place."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from supportbot.chat.models import Actor, Message

# The socket's subprotocol, and the prefix of the one that carries the conversation's
# token: ``new WebSocket(url, [SUBPROTOCOL, TOKEN_PREFIX + token])``. A header, so the
# token never reaches a proxy's access log the way a URL does (docs/protocol.md).
SUBPROTOCOL = "supportbot"
TOKEN_PREFIX = "supportbot.token."


def socket_path(public_id: UUID, token: str | None = None) -> str:
    """Where the widget connects; must match ``routing.websocket_urlpatterns``. With
    ``token``: the deprecated form with the token in the query string (old widgets)."""
    path = f"/ws/chat/{public_id}/"
    return f"{path}?{urlencode({'token': token})}" if token is not None else path


def socket_subprotocols(token: str) -> list[str]:
    """What a client offers in ``Sec-WebSocket-Protocol`` to open a conversation's socket."""
    return [SUBPROTOCOL, TOKEN_PREFIX + token]


def token_from_subprotocols(offered: list[str]) -> str | None:
    """The token a client offered as a subprotocol, if any."""
    for protocol in offered:
        if protocol.startswith(TOKEN_PREFIX):
            return protocol[len(TOKEN_PREFIX) :]
    return None


def ack(message: Message) -> dict[str, Any]:
    return {
        "type": "ack",
        "client_id": str(message.client_id),
        "seq": message.seq,
        "language": message.language,
    }


def error(
    code: str, detail: str, client_id: str | None = None, *, retry_after: int | None = None
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    if client_id is not None:
        frame["client_id"] = client_id
    if retry_after is not None:
        frame["retry_after"] = retry_after  # seconds until the same frame may be sent again
    return frame


def rate_limited(detail: str, retry_after: int, client_id: str | None = None) -> dict[str, Any]:
    """A frame refused by a budget; ``retry_after``: seconds until it may be sent again."""
    return error("rate_limited", detail, client_id, retry_after=retry_after)


def bot_delta(reply_to_seq: int, text: str) -> dict[str, Any]:
    return {"type": "bot.delta", "reply_to": reply_to_seq, "text": text}


def bot_done(reply: Message, reply_to_seq: int) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "bot.done",
        "reply_to": reply_to_seq,
        "seq": reply.seq,
        "text": reply.text,
        "finish_reason": reply.finish_reason,
    }
    if reply.sources:
        frame["sources"] = [
            {"title": source["title"], "url": source["url"]} for source in reply.sources
        ]
    if reply.finish_reason == NO_SOURCE:
        frame["offer_handoff"] = True  # the widget shows its "talk to a person" button
    return frame


# finish_reason of replies the model did not write: "I don't have that information" (no
# relevant article), the article's own words, a short answer to small talk.
NO_SOURCE = "no_source"
SOURCE_TEXT = "source_text"
SMALL_TALK = "small_talk"


def bot_failed(reply_to_seq: int, *, offer_handoff: bool = False) -> dict[str, Any]:
    """The generation ended without a reply; nothing was stored and resume will retry.
    ``offer_handoff``: the workers gave up on it; the widget offers a person."""
    frame: dict[str, Any] = {
        "type": "bot.done",
        "reply_to": reply_to_seq,
        "seq": None,
        "text": "",
        "finish_reason": "error",
    }
    if offer_handoff:
        frame["offer_handoff"] = True
    return frame


def bot_restart(reply_to_seq: int) -> dict[str, Any]:
    """The worker generating this reply was lost; the text so far is void, a new one follows."""
    return {"type": "bot.restart", "reply_to": reply_to_seq}


def bot_retract(reply_to_seq: int) -> dict[str, Any]:
    """The output guard stopped this reply: remove what was shown of it; bot.done follows."""
    return {"type": "bot.retract", "reply_to": reply_to_seq}


def handoff(state: str, reason: str) -> dict[str, Any]:
    """The conversation moved between the bot and people (docs/protocol.md, "Handoff")."""
    return {"type": "handoff", "state": state, "reason": reason}


def stored_message(message: Message) -> dict[str, Any]:
    """A stored message as replayed on resume; bot replies replay as ``bot.done``."""
    if message.role == Actor.BOT:
        reply_to_seq = message.reply_to.seq if message.reply_to_id else 0
        return bot_done(message, reply_to_seq)
    frame: dict[str, Any] = {
        "type": "message",
        "seq": message.seq,
        "role": message.role,
        "text": message.text,
        "language": message.language,
    }
    if message.role == Actor.CUSTOMER and message.client_id is not None:
        frame["client_id"] = str(message.client_id)
    if message.role == Actor.AGENT:
        frame["author"] = agent_name(message.author)
        if message.machine_translated:
            frame["machine_translated"] = True
    return frame


def agent_name(user) -> str:
    """What customers see of an agent: the first name, else the username."""
    if user is None:
        return ""
    return user.first_name or user.get_username()
