"""Read a captured message for display: headers, HTML and text parts. Any message, however
malformed, yields something to show; problems are listed instead of raised."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field

SUMMARY_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")
MAX_SOURCE_CHARS = 2_000_000


@dataclass
class ParsedMessage:
    headers: list[tuple[str, str]] = field(default_factory=list)
    html: str | None = None
    text: str | None = None
    source: str = ""
    source_truncated: bool = False
    problems: list[str] = field(default_factory=list)


def _header(msg, name: str) -> str:
    try:
        value = msg.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:  # a header the policy cannot parse: show it as it came
        try:
            raw = msg.get_all(name, failobj=[""])[0]
            return " ".join(str(raw).split())
        except Exception:
            return ""


def _part_content(part) -> str:
    try:
        content = part.get_content()
        if isinstance(content, bytes):
            return content.decode("utf-8", "replace")
        return str(content)
    except Exception:  # unknown charset, bad transfer encoding, ...
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload.decode("utf-8", "replace")
        return str(part.get_payload() or "")


def _body(msg, kind: str, problems: list[str]) -> str | None:
    try:
        part = msg.get_body(preferencelist=(kind,))
    except Exception as exc:
        problems.append(f"could not find the {kind} part: {exc}")
        return None
    if part is None:
        return None
    try:
        return _part_content(part)
    except Exception as exc:
        problems.append(f"could not decode the {kind} part: {exc}")
        return None


def parse(raw: bytes) -> ParsedMessage:
    out = ParsedMessage()
    source = raw.decode("utf-8", "replace")
    if len(source) > MAX_SOURCE_CHARS:
        source, out.source_truncated = source[:MAX_SOURCE_CHARS], True
    out.source = source
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:
        out.problems.append(f"the message could not be parsed: {exc}")
        return out
    for defect in getattr(msg, "defects", []) or []:
        out.problems.append(f"{type(defect).__name__}: {defect}")
    out.headers = [(name, _header(msg, name)) for name in SUMMARY_HEADERS]
    out.html = _body(msg, "html", out.problems)
    out.text = _body(msg, "plain", out.problems)
    return out
