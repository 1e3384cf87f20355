"""Channel-layer configuration shared by the settings and the tests."""

from __future__ import annotations

from typing import Any

# redis-py 8 reads with a 5 s socket timeout by default, the same as channels_redis's 5 s
# blocking pop: the read could time out first and kill every consumer of an idle socket.
REDIS_SOCKET_TIMEOUT_S = 15


def redis_channel_layer(url: str, *, prefix: str = "asgi") -> dict[str, Any]:
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, "socket_timeout": REDIS_SOCKET_TIMEOUT_S}],
            "prefix": prefix,
            "capacity": 1000,
            "expiry": 60,
        },
    }
