"""Small helpers for socket tests: send a message, read frames until a condition."""

from __future__ import annotations

import uuid

from channels.testing import WebsocketCommunicator


async def send_message(ws: WebsocketCommunicator, text: str, client_id: str | None = None) -> str:
    client_id = client_id or str(uuid.uuid4())
    await ws.send_json_to({"type": "message", "client_id": client_id, "text": text})
    return client_id


async def receive_until(ws: WebsocketCommunicator, frame_type: str, timeout: float = 60) -> list:
    """Every frame up to and including the first of ``frame_type``."""
    frames = []
    while True:
        frame = await ws.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] == frame_type:
            return frames


async def receive_reply(ws: WebsocketCommunicator, timeout: float = 60) -> tuple[list, dict]:
    """(deltas, done) of the next bot reply."""
    frames = await receive_until(ws, "bot.done", timeout)
    return [f for f in frames if f["type"] == "bot.delta"], frames[-1]
