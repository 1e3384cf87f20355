"""Channel-layer configuration shared by the settings and the tests.

Redis Pub/Sub, not channels_redis's list-based layer: a reply streams as hundreds of small
frames per second across all chats, and the list layer pops them one at a time per web
process (three round trips each). Measured with ``bench/stack.py`` at 32 customers, first
token -> customer went from ~590 ms to ~36 ms. Pub/Sub delivers at most once, which the
protocol already allows for: ``bot.done`` carries the whole reply and ``resume`` replays
every stored message. redis-py's Pub/Sub subscribes again after a Redis restart.
"""

from __future__ import annotations

from typing import Any

# redis-py 8 reads with a 5 s socket timeout by default; a quiet subscriber connection must
# not be torn down for being quiet.
REDIS_SOCKET_TIMEOUT_S = 15


def redis_channel_layer(url: str, *, prefix: str = "asgi") -> dict[str, Any]:
    return {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, "socket_timeout": REDIS_SOCKET_TIMEOUT_S}],
            "prefix": prefix,
        },
    }
