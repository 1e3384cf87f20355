"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportbot.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from supportbot.chat.origins import WidgetOriginValidator  # noqa: E402
from supportbot.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WidgetOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if os.environ.get("SUPPORTBOT_PRELOAD") == "1":
    # Load the model while the server starts, so the first customer does not wait for it.
    import threading

    from supportbot.chat.dispatch import get_dispatcher

    threading.Thread(target=get_dispatcher().preload, name="model-preload", daemon=True).start()
