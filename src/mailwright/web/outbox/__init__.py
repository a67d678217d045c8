"""Outbox → Captured: the messages the built-in capture server received, their parsed parts and
a sandboxed preview without our tracking (mailview)."""
