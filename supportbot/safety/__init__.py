"""The safety filter: screening what customers send and what the model writes.

Pure functions return a ``Verdict``; nothing here touches the database except
``supportbot.safety.models`` (the SafetyEvent log).
"""
