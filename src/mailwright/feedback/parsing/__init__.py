"""Inbound feedback parsing: bounces (RFC 3464 DSNs and free-text formats), complaints (RFC
5965 ARF and variants) and auto-replies, reduced to one `Parsed` result. Detection only:
recording and deciding (suppression, scoring) happen elsewhere."""

from __future__ import annotations

from mailwright.feedback.parsing.classify import should_suppress
from mailwright.feedback.parsing.parse import parse_message
from mailwright.feedback.parsing.result import REASONS, Parsed, Recipient

__all__ = ["REASONS", "Parsed", "Recipient", "parse_message", "should_suppress"]
