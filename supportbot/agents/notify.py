"""Telling open consoles what changed, over the channel layer.

Consoles join ``agents.queue`` (every change to the queue) and, for each conversation they
have open, its ``agentconv.<id>`` group. Failures are logged, never raised: a console that
missed a frame catches up on its next ``open`` or queue refresh.
"""

from __future__ import annotations

import logging

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

QUEUE_GROUP = "agents.queue"


def conversation_group(public_id: str) -> str:
    return f"agentconv.{str(public_id).replace('-', '')}"


async def queue_changed() -> None:
    try:
        await get_channel_layer().group_send(QUEUE_GROUP, {"type": "queue.changed"})
    except Exception:
        logger.warning("could not tell the consoles that the queue changed", exc_info=True)


async def to_conversation_agents(public_id: str, frame: dict) -> None:
    try:
        await get_channel_layer().group_send(
            conversation_group(public_id), {"type": "agent.frame", "frame": frame}
        )
    except Exception:
        logger.warning("could not relay a frame to the agents of %s", public_id, exc_info=True)
