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
    # Load the model (in-process engine) and the safety filter while the server starts, so
    # the first customer does not wait for them.
    import threading

    from supportbot.safety.screening import warm_up

    threading.Thread(target=_dispatcher.preload, name="model-preload", daemon=True).start()

    def _warm_filters() -> None:
        from supportbot.detectors.bot_handover import bot_cannot_help
        from supportbot.detectors.human_request import asks_for_human
        from supportbot.detectors.sentiment import strongly_negative

        warm_up()
        # The knowledge index is embedded on first use too (about a second for the demo).
        from supportbot.knowledge.search import current_index

        current_index()
        # Their example banks are embedded on first use; do it before the first customer.
        asks_for_human("hello")
        strongly_negative("hello")
        bot_cannot_help("hello")

    threading.Thread(target=_warm_filters, name="filters-preload", daemon=True).start()
