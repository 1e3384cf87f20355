"""A console socket lives only as long as its login: it is closed on logout, on a password
change, and when the user is no longer an active agent.

Two ways, so that nothing waits for the next heartbeat: the changes that end a login tell
the user's consoles at once (``agentuser.<id>`` group, after commit), and every action a
console takes checks the login again (``console_refusal``).
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from supportbot.agents.notify import user_group
from supportbot.agents.roles import is_agent
from supportbot.chat.broadcast import publish_on_commit

SESSION_ENDED = "session_ended"
FORBIDDEN = "forbidden"


def end_consoles(user_id: int, code: str) -> None:
    """Close every console socket of the user (after commit)."""
    publish_on_commit(user_group(user_id), {"type": "session.ended", "code": code})


def console_refusal(user_id: int, session_key: str | None) -> str | None:
    """Why the console of this login may no longer act (``session_ended``: logged out or
    the password changed; ``forbidden``: no longer an active agent), or None."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not is_agent(user):
        return FORBIDDEN
    if not session_key:
        return SESSION_ENDED
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(session.get(SESSION_KEY)) != str(user_id):
        return SESSION_ENDED  # flushed by a logout, expired, or someone else's
    if not constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return SESSION_ENDED  # the password changed since this login
    return None


# Receivers (wired in ``apps``)


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        end_consoles(user.pk, SESSION_ENDED)


def before_user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """Note whether this save changes the password or takes the user's access away."""
    instance._console_ending = None
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login, saved at every login
    stored = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["password"] != instance.password:
        instance._console_ending = SESSION_ENDED
    elif stored["is_active"] and not instance.is_active:
        instance._console_ending = FORBIDDEN


def after_user_saved(sender, instance, created=False, **kwargs) -> None:
    code = getattr(instance, "_console_ending", None)
    if code and not created:
        instance._console_ending = None
        end_consoles(instance.pk, code)


def on_groups_changed(sender, instance, action, pk_set=None, reverse=False, **kwargs) -> None:
    """A user taken out of a group (or a group emptied): their consoles check again."""
    if action not in ("post_remove", "post_clear"):
        return
    # reverse: group.user_set.remove(...), ``instance`` is the group.
    user_ids = (pk_set or ()) if reverse else (instance.pk,)
    for user_id in user_ids:
        publish_on_commit(user_group(user_id), {"type": "session.check"})
