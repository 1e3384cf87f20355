"""Escalation detectors: what a message says about needing a person (no Django views)."""
