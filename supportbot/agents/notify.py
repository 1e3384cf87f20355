"""Telling open consoles what changed, over the channel layer, after commit.

Consoles join ``agents.queue`` (every change to the queue), their user's
``agentuser.<id>`` (the login ended) and, for each conversation they have open, its
``agentconv.<id>`` group. Failures are logged, never raised: a console that
missed a frame catches up on its next ``open`` or queue refresh.
"""

from __future__ import annotations

from collections.abc import Callable

from supportbot.chat.broadcast import publish_on_commit

QUEUE_GROUP = "agents.queue"


def conversation_group(public_id: str) -> str:
    return f"agentconv.{str(public_id).replace('-', '')}"


def user_group(user_id: int) -> str:
    """Every console socket of one user (closed together when their login ends)."""
    return f"agentuser.{user_id}"


def queue_changed() -> None:
    publish_on_commit(QUEUE_GROUP, {"type": "queue.changed"})


def to_conversation_agents(public_id: str, frame: dict | Callable[[], dict]) -> None:
    """``frame`` may be a function, called after commit (it then sees the whole change)."""

    def message() -> dict:
        return {"type": "agent.frame", "frame": frame() if callable(frame) else frame}

    publish_on_commit(conversation_group(public_id), message)


def state_frame(conversation) -> dict:
    agent = conversation.assigned_agent
    return {
        "type": "state",
        "conversation": str(conversation.public_id),
        "state": conversation.state,
        "assigned_to": agent.get_username() if agent else None,
    }
