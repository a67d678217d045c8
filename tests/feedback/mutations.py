"""Mutations of real-format messages for fuzzing the feedback parser, shared by the bounded run
in tests/feedback/test_fuzz.py and the long one in bench/fuzz_bounces.py. Each mutation takes
the message and a random.Random and returns new bytes; none needs the parser."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from pathlib import Path

from mailwright.feedback.parsing import clear_caches

HERE = Path(__file__).parent
SEEDS = sorted((HERE / "fixtures").rglob("*.eml")) + sorted((HERE / "corpus").rglob("*.eml"))
CHARSETS = ["utf-8", "x-unknown", "utf-7", "iso-2022-jp", "", "\u00ff", "utf-16", "cp1252"]
# Pieces the parser's patterns look for, repeated to provoke slow regular expressions.
TOKENS = [
    b"a",
    b" ",
    b"<",
    b"@",
    b"5.",
    b"550 ",
    b"5.1.1 ",
    b"x@y.",
    b"rfc822;",
    b"=?utf-8?q?",
    b"--",
    b"\t",
    b"\n ",
    b"Final-Recipient: ",
    b"user unknown ",
    b"delivery time expired ",
    b"<a@b.c>",
]
LIMIT_SECONDS = 0.100


def _split(raw: bytes) -> tuple[list[bytes], bytes, bytes]:
    head, sep, body = raw.partition(b"\n\n")
    return head.split(b"\n"), sep or b"\n\n", body


def byte_flips(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw or b"x")
    for _ in range(rng.randint(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def truncation(raw: bytes, rng: random.Random) -> bytes:
    return raw[: rng.randint(0, len(raw))]


def header_duplication(raw: bytes, rng: random.Random) -> bytes:
    lines, sep, body = _split(raw)
    line = rng.choice(lines)
    return b"\n".join([*lines, *([line] * rng.randint(1, 200))]) + sep + body


def charset_lie(raw: bytes, rng: random.Random) -> bytes:
    new = rng.choice(CHARSETS).encode("utf-8", "replace")
    for marker in (b"charset=utf-8", b'charset="UTF-8"', b"charset=us-ascii", b"charset=UTF-8"):
        raw = raw.replace(marker, b"charset=" + new)
    old = rng.choice(CHARSETS).encode("utf-8", "replace")
    return raw.replace(b"=?utf-8?", b"=?" + old + b"?").replace(b"=?UTF-8?", b"=?" + old + b"?")


def deep_nesting(raw: bytes, rng: random.Random) -> bytes:
    subtype = rng.choice([b"mixed", b"report", b"related"])
    head, tail = b"", b""
    for level in range(rng.randint(1, 200)):
        b = b"n%d" % level
        head += (
            b"Content-Type: multipart/%s; boundary=%s; report-type=delivery-status\n\n--%s\n"
            % (subtype, b, b)
        )
        tail = b"\n--" + b + b"--\n" + tail
    return b"From: MAILER-DAEMON@example.net\nMIME-Version: 1.0\n" + head + raw + tail


def huge_header_line(raw: bytes, rng: random.Random) -> bytes:
    lines, sep, body = _split(raw)
    name = rng.choice(
        [b"Subject", b"To", b"From", b"X-Failed-Recipients", b"Content-Type", b"Received"]
    )
    token = rng.choice(TOKENS)
    size = rng.choice([10_000, 100_000, 500_000])
    value = token * (size // len(token))
    if rng.random() < 0.5:  # one folded header of many continuation lines
        value = b"\n ".join([value[i : i + 70] for i in range(0, len(value), 70)])
    lines.insert(rng.randrange(len(lines) + 1), name + b": " + value)
    return b"\n".join(lines) + sep + body


def repeated_token(raw: bytes, rng: random.Random) -> bytes:
    """A long run of one pattern-relevant token dropped into the body."""
    token = rng.choice(TOKENS)
    run = token * (rng.choice([1_000, 20_000, 200_000]) // len(token))
    at = rng.randint(0, len(raw))
    return raw[:at] + run + raw[at:]


def many_recipients(raw: bytes, rng: random.Random) -> bytes:
    n = rng.choice([100, 1_000, 5_000])
    addresses = [b"user%d@example%d.com" % (i, i % 7) for i in range(n)]
    shape = rng.randrange(3)
    if shape == 0:  # an RFC 3464 report with n per-recipient blocks
        blocks = b"".join(
            b"Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 <%s>: user unknown\n\n" % (a, a)
            for a in addresses
        )
        return (
            b"From: MAILER-DAEMON@example.net\nSubject: Undelivered Mail\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
            b"--b\nContent-Type: text/plain\n\nfailed\n\n--b\n"
            b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; example.net\n\n"
            + blocks
            + b"--b\nContent-Type: message/rfc822\n\n"
            + raw
            + b"\n--b--\n"
        )
    if shape == 1:  # X-Failed-Recipients listing them all
        return b"X-Failed-Recipients: " + b", ".join(addresses) + b"\n" + raw
    lines = b"".join(b"  %s\n    Unrouteable address\n" % a for a in addresses)
    return (
        b"From: Mail Delivery System <Mailer-Daemon@example.net>\n"
        b"Subject: Mail delivery failed: returning message to sender\n\n"
        b"This message was created automatically by mail delivery software.\n\n"
        b"The following address(es) failed:\n\n" + lines + b"\n" + raw
    )


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "byte_flips": byte_flips,
    "truncation": truncation,
    "header_duplication": header_duplication,
    "charset_lie": charset_lie,
    "deep_nesting": deep_nesting,
    "huge_header_line": huge_header_line,
    "repeated_token": repeated_token,
    "many_recipients": many_recipients,
}


def mutate(raw: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One or two mutations chained, named."""
    names = [rng.choice(list(MUTATIONS)) for _ in range(rng.choice([1, 1, 2]))]
    for name in names:
        raw = MUTATIONS[name](raw, rng)
    return "+".join(names), raw


def timed(parse: Callable[[bytes], object], raw: bytes, tries: int = 3) -> float:
    """CPU seconds the parse of `raw` takes (CPU time: other processes on a shared machine do
    not count), the best of up to `tries` runs (one when the first is fast)."""
    best = float("inf")
    for attempt in range(tries):
        clear_caches()  # each run from cold: a remembered result would hide a slow input
        # A full collection of the test process's heap (Django, thousands of other tests'
        # objects) can land inside one parse and take longer than the parse itself: it is the
        # process's cost, not the parser's. A slow first run is timed again without it.
        paused = attempt > 0 and gc.isenabled()
        if paused:
            gc.collect()
            gc.disable()
        try:
            started = time.process_time()
            parse(raw)
            best = min(best, time.process_time() - started)
        finally:
            if paused:
                gc.enable()
        if best < LIMIT_SECONDS:
            break
    return best
