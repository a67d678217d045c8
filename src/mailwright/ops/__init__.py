"""Operators' endpoints: /metrics for Prometheus (reads every layer, so it sits on top)."""
