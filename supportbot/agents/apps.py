from django.apps import AppConfig


class AgentsConfig(AppConfig):
    """The ticket side: escalation triggers, presence, the agent console."""

    name = "supportbot.agents"
    label = "agents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from supportbot.agents import receivers
        from supportbot.chat import signals

        signals.customer_message_stored.connect(
            receivers.on_customer_message, dispatch_uid="agents.triggers"
        )
        signals.message_stored.connect(receivers.on_message, dispatch_uid="agents.message")
        signals.conversation_changed.connect(
            receivers.on_conversation_changed, dispatch_uid="agents.changed"
        )
        signals.handoff_details.connect(receivers.on_handoff, dispatch_uid="agents.presence")
        signals.customer_typing.connect(receivers.on_customer_typing, dispatch_uid="agents.typing")
