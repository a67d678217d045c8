"""Feedback: the suppression list (add, import, export), the inbound log with its dead letters,
and outgoing webhooks."""
