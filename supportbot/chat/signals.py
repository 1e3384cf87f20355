"""What the chat announces, for the ticket side and the consoles to act on.

chat never imports the ticket side; it sends these and whoever cares listens
(``supportbot.agents.receivers``). All are sent inside the transaction that made the
change, on the locked conversation row, so a receiver may change that row in the same
transaction and must defer anything it tells a socket with ``transaction.on_commit``
(``broadcast.publish_on_commit``).
"""

from __future__ import annotations

from django.dispatch import Signal

# A customer message was stored and the bot would answer it. Receivers may bring in a
# person (``conversation.escalate``); the bot answers only if the row is still the bot's.
# Arguments: conversation, message, signals (``detectors.Signals``).
customer_message_stored = Signal()

# A message of any role was stored. Arguments: conversation, message.
message_stored = Signal()

# The conversation changed hands or state (``Conversation.transition``), or its ticket
# changed (priority, contact, assignee). Arguments: conversation, event.
conversation_changed = Signal()

# Building a ``handoff`` frame: receivers return a dict of extra fields (who is online).
# Arguments: conversation.
handoff_details = Signal()

# The customer is typing (nothing stored; sent with ``asend`` from the socket, so receivers
# may be coroutines). Arguments: public_id.
customer_typing = Signal()
