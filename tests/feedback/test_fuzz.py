"""The parser must never raise: real fixtures mutated (byte flips, truncation, duplicated
headers, random charsets, deep multipart nesting) and plain random bytes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwright.feedback.parsing import Parsed, parse_message

FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.eml"))
CORPUS = [p.read_bytes() for p in FIXTURES]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CHARSETS = ["utf-8", "x-unknown", "utf-7", "iso-2022-jp", "", "\u00ff", "utf-16", "cp1252"]


def check(raw: bytes) -> None:
    result = parse_message(raw, bounce_domains={"bounces.example.org"})
    assert isinstance(result, Parsed)
    for r in result.recipients:
        assert r.kind in ("hard", "soft")
        assert isinstance(r.diagnostic, str)


fixture = st.sampled_from(CORPUS)


@FUZZ
@given(fixture, st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 255)), max_size=40))
def test_byte_flips(raw, flips):
    data = bytearray(raw)
    for pos, value in flips:
        data[pos % len(data)] = value
    check(bytes(data))


@FUZZ
@given(fixture, st.floats(0, 1))
def test_truncation(raw, fraction):
    check(raw[: int(len(raw) * fraction)])


@FUZZ
@given(fixture, st.integers(1, 20), st.integers(0, 60))
def test_header_duplication(raw, times, which):
    head, sep, body = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    line = lines[which % len(lines)]
    check(b"\n".join([*lines, *([line] * times)]) + sep + body)


@FUZZ
@given(fixture, st.sampled_from(CHARSETS), st.sampled_from(CHARSETS))
def test_random_charsets(raw, old, new):
    for marker in (b"charset=utf-8", b'charset="UTF-8"', b"charset=us-ascii"):
        raw = raw.replace(marker, b"charset=" + new.encode("utf-8", "replace"))
    raw = raw.replace(b"=?utf-8?", b"=?" + old.encode("utf-8", "replace") + b"?")
    check(raw)


@FUZZ
@given(fixture, st.integers(0, 60), st.sampled_from(["mixed", "report", "related"]))
def test_multipart_nesting(raw, depth, subtype):
    head = b""
    tail = b""
    for level in range(depth):
        b = f"n{level}".encode()
        ctype = b"Content-Type: multipart/%s; boundary=%s; report-type=delivery-status"
        head += ctype % (subtype.encode(), b) + b"\n\n--" + b + b"\n"
        tail = b"\n--" + b + b"--\n" + tail
    check(b"From: MAILER-DAEMON@example.net\nMIME-Version: 1.0\n" + head + raw + tail)


def test_pathological_nesting_is_cut_short():
    """Thousands of nested multiparts fit in 2 MB; the parser only looks at the first ones."""
    import time

    depth = 5000
    head = b"".join(
        b"Content-Type: multipart/mixed; boundary=n%d\n\n--n%d\n" % (i, i) for i in range(depth)
    )
    started = time.monotonic()
    check(b"From: MAILER-DAEMON@example.net\n" + head + CORPUS[0])
    assert time.monotonic() - started < 5


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(raw):
    check(raw)


@FUZZ
@given(st.text(max_size=2000))
def test_random_text_with_report_headers(text):
    check(
        (
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
            "Content-Type: message/delivery-status\n\n" + text + "\n--b--\n"
        ).encode("utf-8", "surrogatepass")
    )
