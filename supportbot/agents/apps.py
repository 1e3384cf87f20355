from django.apps import AppConfig


class AgentsConfig(AppConfig):
    """The ticket side: escalation triggers, presence, the agent console."""

    name = "supportbot.agents"
    label = "agents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import m2m_changed, post_save, pre_save

        from supportbot.agents import receivers, sessions
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
        user_model = get_user_model()
        user_logged_out.connect(sessions.on_logged_out, dispatch_uid="agents.logout")
        pre_save.connect(sessions.before_user_saved, sender=user_model, dispatch_uid="agents.user")
        post_save.connect(sessions.after_user_saved, sender=user_model, dispatch_uid="agents.user")
        m2m_changed.connect(
            sessions.on_groups_changed,
            sender=user_model.groups.through,
            dispatch_uid="agents.groups",
        )
