"""Ask a running server questions over the real WebSocket protocol; print JSON per answer.

    python bench/ask.py --server http://127.0.0.1:8000 "How long does shipping take?" \
        "Wie lange dauert der Versand?" "配送にはどのくらいかかりますか？"

Each question goes to a new conversation. The output has the detected language, the number of
streamed deltas, time to first delta and to the stored reply, and the reply itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.request
import uuid

import websockets


def open_conversation(server: str, locale: str | None) -> dict:
    body = json.dumps({"locale": locale, "visitor": "bench"} if locale else {}).encode()
    request = urllib.request.Request(
        f"{server}/api/conversations",
        data=body,
        headers={"Content-Type": "application/json", "Origin": server},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


async def ask(server: str, question: str, locale: str | None, timeout: float) -> dict:
    conversation = open_conversation(server, locale)
    ws_url = server.replace("http", "ws", 1) + conversation["ws"]
    async with websockets.connect(
        ws_url,
        origin=server,
        subprotocols=["supportbot", "supportbot.token." + conversation["token"]],
    ) as socket:
        started = time.perf_counter()
        client_id = str(uuid.uuid4())
        await socket.send(json.dumps({"type": "message", "client_id": client_id, "text": question}))
        result: dict = {"question": question, "deltas": 0}
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            if frame["type"] == "ack":
                result["language"] = frame["language"]
            elif frame["type"] == "bot.delta":
                result["deltas"] += 1
                result.setdefault("first_delta_ms", elapsed_ms)
            elif frame["type"] == "bot.done":
                result.update(
                    done_ms=elapsed_ms, reply=frame["text"], finish=frame["finish_reason"]
                )
                return result
            elif frame["type"] == "error":
                result.update(error=frame)
                return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="+")
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--locale", default=None)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    for question in args.questions:
        answer = await ask(args.server, question, args.locale, args.timeout)
        print(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
