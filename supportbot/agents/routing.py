from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from supportbot.agents.consumers import AgentConsumer

# The console is served by this deployment only: unlike the widget's socket, sites that
# embed the widget may not open it (a logged-in agent's cookie must not work from there).
websocket_urlpatterns = [
    path("ws/agent/", AllowedHostsOriginValidator(AgentConsumer.as_asgi())),
]
