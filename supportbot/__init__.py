"""supportbot: a self-hosted, multilingual AI customer-support chat."""
