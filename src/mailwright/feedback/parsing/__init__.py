"""Inbound feedback parsing: bounces (RFC 3464 DSNs and free-text formats), complaints (RFC
5965 ARF and variants) and auto-replies, reduced to one `Parsed` result. Detection only:
recording and deciding (suppression, scoring) happen elsewhere."""

from __future__ import annotations

from mailwright.feedback.parsing import classify, plaintext_formats
from mailwright.feedback.parsing.classify import should_suppress
from mailwright.feedback.parsing.parse import parse_message
from mailwright.feedback.parsing.result import REASONS, Parsed, Recipient

__all__ = ["REASONS", "Parsed", "Recipient", "clear_caches", "parse_message", "should_suppress"]


def clear_caches() -> None:
    """Forget the memoised classifications and notice families (timing a parse from cold)."""
    classify._classify_cached.cache_clear()
    plaintext_formats._family_index.cache_clear()
