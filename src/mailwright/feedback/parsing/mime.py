"""Defensive MIME helpers: every function here tolerates malformed, truncated or mislabelled
input and returns something (an empty string, an empty list) rather than raising."""

from __future__ import annotations

import base64
import copy
import email
import html
import quopri
import re
from collections.abc import Iterator
from email.header import decode_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import Compat32

import charset_normalizer

# Only the first MAX_BYTES of a message are looked at: a bounce's verdict is in its first
# few kilobytes, and returned originals with attachments can be enormous. (The stdlib parser
# alone needs up to ~200 ms per MB of short lines: 256 KB keeps a parse under 100 ms.)
MAX_BYTES = 256 * 1024
# Multipart nesting deeper than this is not a real bounce and would only cost recursion.
MAX_DEPTH = 30
# The stdlib parser's cost grows with the square of the multipart nesting depth; a message
# declaring more boundaries than any real report is cut before the extra ones.
MAX_BOUNDARIES = 150
_BOUNDARY = re.compile(rb"boundary\s*=", re.I)
# Lines parsed (fewer when the message declares many boundaries): a real report has a few
# hundred; 256 KB of empty lines would take the stdlib parser over 100 ms.
MAX_LINES = 20_000
# Characters kept of one header value (a real one, folded Received lines included, is shorter).
MAX_HEADER = 8 * 1024
# Cap on the text of one part we run regular expressions over: a notice, its status lines and
# the returned original's headers come first (a real notice's text is a few kilobytes; the
# rest is the original's body, which decides nothing). Forty patterns over 256 KB took 100+ ms.
MAX_TEXT = 64 * 1024
# An indented header line ("   To:      addr").
_INDENTED_HEADER = re.compile(r"[ \t]{1,12}[A-Za-z][\w-]{0,40}:[ \t]")
# Recipients read from one report: an SMTP transaction has at most a few hundred (RFC 5321
# asks servers to accept 100) and we send one per message; each costs ~1 ms of patterns.
MAX_RECIPIENTS = 50

_WS = re.compile(r"\s+")


class _CappedHeaders(Compat32):
    """compat32, with every header value cut to MAX_HEADER characters: the stdlib's parameter
    parsing (boundary, charset) is quadratic in a value full of quotes and semicolons."""

    def header_source_parse(self, sourcelines):
        name, value = super().header_source_parse(sourcelines)
        return name, value[:MAX_HEADER]

    def header_fetch_parse(self, name, value):
        # compat32 turns a header with raw 8-bit bytes into an "unknown-8bit" Header, which
        # prints as replacement characters. Such headers are UTF-8 (RFC 6532: Exchange Online,
        # Gmail and the Asian providers send "自動応答:" subjects so), else a legacy charset
        # we cannot name: read them as UTF-8, falling back to Latin-1.
        if isinstance(value, str) and _SURROGATES.search(value):
            raw = value.encode("ascii", "surrogateescape")
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
        return super().header_fetch_parse(name, value)


_SURROGATES = re.compile("[\udc80-\udcff]")


_POLICY = _CappedHeaders()


def load(raw: bytes) -> Message:
    raw = bytes(raw[:MAX_BYTES])
    boundaries = 0
    for boundaries, m in enumerate(_BOUNDARY.finditer(raw), 1):
        if boundaries > MAX_BOUNDARIES:
            raw = raw[: m.start()]
            break
    # The parser tests every line against every open boundary: bound lines × boundaries.
    max_lines = MAX_LINES if boundaries <= 5 else MAX_LINES * 5 // boundaries
    lines = raw.split(b"\n", max_lines)
    if len(lines) > max_lines:
        raw = b"\n".join(lines[:max_lines])
    try:
        return email.message_from_bytes(raw, policy=_POLICY)
    except Exception:
        # The compat32 parser hardly ever raises; when it does, fall back to the headers only.
        try:
            return HeaderParser().parsestr(raw.decode("latin-1"), headersonly=True)
        except Exception:
            return Message()


def trimmed(
    msg: Message, budget: int = 32 * 1024, max_lines: int = 600, header_limit: int = 4096
) -> Message:
    """A shallow copy of `msg` for heuristics that read every line many times (flufl.bounce):
    at most `budget` characters and `max_lines` lines of payload in all, cut at line ends,
    and headers cut to `header_limit` characters each and `budget` in all (flufl.bounce parses
    every X-Failed-Recipients address: 200 such headers of 4 KB took 0.5 s). `msg` itself is
    not changed."""
    left = [budget, max_lines, budget]

    def cut(part: Message, depth: int) -> Message:
        clone = copy.copy(part)
        clone._headers = []
        for k, v in part._headers[:200]:
            structural = k.lower().startswith("content-")  # kept: they say what a part is
            v = v[: header_limit if structural else min(header_limit, left[2])]
            if v or structural:
                left[2] = max(0, left[2] - len(v))
                clone._headers.append((k, v))
        payload = part._payload
        if isinstance(payload, list):
            clone._payload = [cut(p, depth + 1) for p in payload[:50] if depth < MAX_DEPTH]
        elif isinstance(payload, str):
            if len(payload) > left[0]:
                payload = payload[: left[0]].rpartition("\n")[0]
            lines = payload.split("\n", left[1])[: left[1]]
            # flufl.bounce's patterns are quadratic on a long line: 1,000 characters each.
            payload = "\n".join(line[:1000] for line in lines)
            left[0] = max(0, left[0] - len(payload))
            left[1] = max(0, left[1] - payload.count("\n") - 1)
            clone._payload = payload
        return clone

    return cut(msg, 0)


def collapse(text: str, limit: int = 1000) -> str:
    return _WS.sub(" ", text).strip()[:limit]


def header(msg: Message | None, name: str) -> str:
    """The decoded value of the first `name` header, or ""."""
    if msg is None:
        return ""
    try:
        value = msg.get(name)
    except Exception:
        return ""
    return decode(value)


def headers(msg: Message | None, name: str) -> list[str]:
    if msg is None:
        return []
    try:
        values = msg.get_all(name) or []
    except Exception:
        return []
    return [decode(v) for v in values]


def decode(value: object) -> str:
    """An RFC 2047 header value as text; unknown charsets decode as UTF-8 with replacement."""
    if value is None:
        return ""
    try:
        text = str(value)
    except Exception:
        return ""
    if "=?" not in text:
        return collapse(text, 2000)
    text = text[:8192]  # decode_header is quadratic in the number of encoded words
    out = []
    try:
        for chunk, charset in decode_header(text):
            if isinstance(chunk, bytes):
                out.append(to_text(chunk, charset))
            else:
                out.append(chunk)
    except Exception:
        return collapse(text, 2000)
    return collapse("".join(out), 2000)


# Legacy charsets a notice comes in without saying so (a body-only forwarded bounce, a
# part without a charset parameter): the large Chinese, Korean, Japanese and Russian
# providers' and the European ones'.
UNDECLARED = (
    "gb18030",
    "big5",
    "euc_kr",
    "shift_jis",
    "euc_jp",
    "koi8_r",
    "cp1251",
    "cp1252",
    "iso8859_2",
    "cp1254",
)
_ISO_2022_JP = re.compile(rb"\x1b\$[B@]")
# Bytes the guess looks at (a few ms; the whole text is then decoded with the guess).
GUESS_BYTES = 4096


def to_text(data: bytes, charset: str | None) -> str:
    if not charset and _ISO_2022_JP.search(data[:GUESS_BYTES]):
        charset = "iso-2022-jp"  # 7-bit: it would "decode" as UTF-8 into escape sequences
    for cs in (charset, "utf-8"):
        if not cs:
            continue
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    if not charset:
        guessed = _guess_charset(data)
        if guessed:
            return data.decode(guessed, errors="replace")
    return data.decode("utf-8", errors="replace")


def _guess_charset(data: bytes) -> str | None:
    """The legacy charset undeclared 8-bit text is most likely in, or None."""
    try:
        best = charset_normalizer.from_bytes(data[:GUESS_BYTES], cp_isolation=list(UNDECLARED))
        found = best.best()
    except Exception:  # a guesser must not make the parser fail
        return None
    return found.encoding if found is not None else None


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value or "").lower()


def part_text(part: Message) -> str:
    """The decoded text of a leaf part (declared charset, then UTF-8, then replacement)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        try:
            raw = part.get_payload()
        except Exception:
            return ""
        return raw[:MAX_TEXT] if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return tidy(to_text(payload[:MAX_TEXT], charset))


# A third blank (or blanks-only) line in a row means nothing, and a page of them costs every
# line-anchored pattern a pass (one parse took 108 ms): such a run is one blank line.
_BLANK_LINES = re.compile(r"(\r?\n)(?:[ \t]*+\r?\n){2,}")


def tidy(text: str) -> str:
    """`text` with at most one blank line in a row."""
    return _BLANK_LINES.sub(r"\1\1", text)


def walk(msg: Message, depth: int = 0) -> Iterator[Message]:
    """Every part of the report itself, without descending into attached messages (a returned
    original that is itself a DSN must not be read as ours)."""
    yield msg
    if depth >= MAX_DEPTH or content_type(msg).startswith("message/"):
        return
    try:
        children = msg.get_payload() if msg.is_multipart() else []
    except Exception:
        return
    for child in children if isinstance(children, list) else []:
        if isinstance(child, Message):
            yield from walk(child, depth + 1)


def parts_of_type(msg: Message, ctype: str) -> list[Message]:
    return [p for p in walk(msg) if content_type(p) == ctype]


def report_text(msg: Message) -> str:
    """The human-readable text of the report: its text/plain leaves (text/html stripped of
    tags when there is no plain text), not the attached original."""
    plain, html = [], []
    for part in walk(msg):
        ctype = content_type(part)
        if part.is_multipart() or ctype.startswith("message/"):
            continue
        if ctype in ("text/plain", "application/json") or (
            ctype.startswith("text/") and ctype != "text/html"
        ):
            if ctype not in ("text/rfc822-headers",):
                plain.append(part_text(part))
        elif ctype == "text/html":
            html.append(html_text(part_text(part)))
    text = "\n".join(plain) if any(t.strip() for t in plain) else "\n".join(html)
    return text[:MAX_TEXT]


# Tags that end a line when HTML is read as text (an HTML-only NDR keeps its address and the
# server's reply on separate lines, as the plain-text formats do).
_BREAK_TAGS = re.compile(
    r"<[ \t]*/?(?:br|p|div|tr|li|pre|h[1-6]|table|blockquote|hr)\b[^<>]{0,2000}>", re.I
)
_INVISIBLE = re.compile(r"<(style|script|head)\b[^<>]{0,2000}>[^<]{0,100000}</\1[ \t]*>", re.I)
_TAGS = re.compile(r"<[^<>]{0,2000}>")
_BLANKS = re.compile(r"[ \t\xa0]+")


def html_text(markup: str) -> str:
    """HTML as text: block tags and <br> end lines, other tags go, entities are decoded."""
    text = _INVISIBLE.sub(" ", markup[:MAX_TEXT])
    text = _TAGS.sub(" ", _BREAK_TAGS.sub("\n", text))
    text = html.unescape(text)
    # One space between words, as the text part would have ("to <a>addr</a> couldn't").
    return _BLANKS.sub(" ", text)


def parse_headers(text: str) -> Message:
    try:
        return HeaderParser().parsestr(_dedent_block(text[:MAX_TEXT]), headersonly=True)
    except Exception:
        return Message()


def _dedent_block(text: str) -> str:
    """A header block quoted with an indent ("   From:  x", "   To:  y" under GroupWise's
    "Original Message:"), moved to the margin; a block at the margin is left alone."""
    first = text.lstrip("\r\n")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent or not _INDENTED_HEADER.match(first):
        return text
    head, sep, rest = first.partition("\n\n")
    lines = [line[len(indent) :] if line.startswith(indent) else line for line in head.split("\n")]
    return "\n".join(lines) + sep + rest


def attached_message(part: Message) -> Message | None:
    """The message inside a message/rfc822 (or the headers inside text/rfc822-headers)."""
    ctype = content_type(part)
    try:
        payload = part.get_payload()
    except Exception:
        return None
    if ctype in ("message/rfc822", "message/global"):
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return _transfer_decoded(part, payload[0])
        if isinstance(payload, str):
            return parse_headers(payload)
        return None
    if ctype in ("text/rfc822-headers", "message/rfc822-headers", "text/global-headers"):
        return parse_headers(part_text(part))
    return None


def _transfer_decoded(part: Message, inner: Message) -> Message:
    """A message/rfc822 part sent base64 or quoted-printable (RFC 2046 section 5.2.1 forbids
    it; some feedback loops do it): the parser leaves a header-less message whose body is the
    encoded original, which is decoded and parsed here."""
    cte = header(part, "content-transfer-encoding").strip().lower()
    body = inner.get_payload()
    if cte not in ("base64", "quoted-printable") or len(inner) or not isinstance(body, str):
        return inner
    try:
        raw = base64.b64decode(body) if cte == "base64" else quopri.decodestring(body.encode())
    except (ValueError, TypeError):
        return inner
    return load(raw) if raw.strip() else inner


def attached_original(msg: Message) -> Message | None:
    """The first message (or header block) attached anywhere inside `msg`: the returned
    original of a bounce, the reported message of a complaint."""
    for part in walk(msg):
        if part is msg:
            continue
        inner = attached_message(part)
        if inner is not None:
            return inner
    return None
