from django.urls import path

from supportbot.chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/chat/<uuid:conversation>/", ChatConsumer.as_asgi()),
]
