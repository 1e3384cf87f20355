from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "supportbot.chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from supportbot.chat import escalation, signals

        def announce(sender, *, conversation, event, **kwargs) -> None:
            escalation.announce_to_customer(conversation, event)

        signals.conversation_changed.connect(announce, dispatch_uid="chat.announce_to_customer")
