"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import asyncio
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportbot.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from supportbot.agents.routing import websocket_urlpatterns as agent_patterns  # noqa: E402
from supportbot.chat.broadcast import bind_loop  # noqa: E402
from supportbot.chat.origins import WidgetOriginValidator  # noqa: E402
from supportbot.chat.routing import websocket_urlpatterns  # noqa: E402


class BindBroadcastLoop:
    """Tell the broadcaster which loop serves the sockets (it sends committed frames there)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        bind_loop(asyncio.get_running_loop())
        return await self.app(scope, receive, send)


application = BindBroadcastLoop(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": WidgetOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns + agent_patterns))
            ),
        }
    )
)

from supportbot.chat.dispatching import get_dispatcher  # noqa: E402

# Built (and its modules imported: torch, for the in-process engine) before the first
# socket, whose connect would otherwise stall the event loop for seconds.
_dispatcher = get_dispatcher()

if os.environ.get("SUPPORTBOT_PRELOAD") == "1":
    # Load the model (in-process engine) and the filters while the server starts, so the
    # first customer does not wait for them; /readyz answers once they are loaded.
    from supportbot.ops import warmup

    warmup.start()
