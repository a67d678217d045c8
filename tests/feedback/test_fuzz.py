"""The parser must never raise and never take more than 100 ms: real-format messages (the
fixtures and tests/feedback/corpus) mutated (byte flips, truncation, duplicated headers,
charset lies, deep multipart nesting, huge header lines, many recipients, long runs of the
tokens the patterns look for) and plain random bytes. Every parse is timed; a slow one is
saved to a file named in the failure. The long run is bench/fuzz_bounces.py."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwright.feedback.parsing import Parsed, parse_message
from tests.feedback import mutations
from tests.feedback.mutations import CHARSETS, LIMIT_SECONDS, SEEDS, timed

HERE = Path(__file__).resolve().parent
CORPUS = [p.read_bytes() for p in SEEDS]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# For the mutations that build inputs of hundreds of kilobytes.
HEAVY = settings(FUZZ, max_examples=15)


def _parse(raw: bytes) -> Parsed:
    return parse_message(raw, bounce_domains={"bounces.example.org"})


def check(raw: bytes) -> None:
    seconds = timed(_parse, raw)
    if seconds > LIMIT_SECONDS:
        with tempfile.NamedTemporaryFile(prefix="slow-bounce-", suffix=".eml", delete=False) as f:
            f.write(raw)
        raise AssertionError(f"parsing took {seconds * 1000:.0f} ms (> 100 ms); input: {f.name}")
    result = _parse(raw)
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
    """Thousands of nested multiparts; the parser only looks at the first ones."""
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


@HEAVY
@given(st.integers(0, len(CORPUS) - 1), st.randoms(use_true_random=False))
def test_huge_header_lines(which, rng):
    check(mutations.huge_header_line(CORPUS[which], rng))


@HEAVY
@given(st.integers(0, len(CORPUS) - 1), st.randoms(use_true_random=False))
def test_many_recipients(which, rng):
    check(mutations.many_recipients(CORPUS[which], rng))


@HEAVY
@given(st.integers(0, len(CORPUS) - 1), st.randoms(use_true_random=False))
def test_long_runs_of_pattern_tokens(which, rng):
    check(mutations.repeated_token(CORPUS[which], rng))


@FUZZ
@given(st.integers(0, len(CORPUS) - 1), st.integers(0, 2**32))
def test_chained_mutations(which, seed):
    check(mutations.mutate(CORPUS[which], random.Random(seed))[1])


# --- inputs that once took from 0.3 to 19 seconds (found by this fuzzing) --------------------

BOUNCE_HEAD = (
    b"From: Mail Delivery System <MAILER-DAEMON@example.net>\nSubject: Undelivered Mail\n\n"
)


def test_regression_long_line_of_blanks_before_the_original_marker():
    check(BOUNCE_HEAD + b"failed:\n" + b" " * 200_000 + b"\n" + b"\t" * 100_000 + b"x\n")


def test_regression_a_notice_followed_by_pages_of_blank_lines():
    # 108 ms once: every line-anchored pattern passed over 80,000 lines holding one blank.
    spanish = (
        b"Este es un mensaje generado automaticamente.\n\nNo se ha podido entregar su mensaje \n"
    )
    check(BOUNCE_HEAD + spanish + b" \n" * 80_000)
    check(BOUNCE_HEAD + spanish + b"\t\r\n\r\n" * 40_000)


def test_regression_megabytes_of_daemon_text():
    check(BOUNCE_HEAD + b"<a@example.com> 550 5.1.1 no such user here\n" * 50_000)
    check(BOUNCE_HEAD + b"hello world this is a line\n" * 80_000)


def test_regression_thousands_of_recipients():
    rng = random.Random(0)
    rng.choice = lambda seq: 5_000 if 5_000 in seq else seq[0]
    for shape in range(3):
        rng.randrange = lambda n, shape=shape: shape
        check(mutations.many_recipients(CORPUS[0], rng))


def test_regression_header_of_many_encoded_words():
    check(b"Subject: " + b"=?utf-8?q?a?= " * 40_000 + b"\n\nbody\n")


def test_regression_content_type_full_of_quoted_semicolons():
    check(
        b'From: MAILER-DAEMON@example.net\nContent-Type: multipart/report; boundary="b"; x="'
        + b"rfc822;" * 3000
        + b'"\n\n--b\nhi\n--b--\n'
    )


def test_regression_plain_text_notice_listing_a_hundred_addresses():
    """The notice path classified the whole report again for every listed address (0.5 s)."""
    rng = random.Random(0)
    rng.choice = lambda seq: 100 if 100 in seq else seq[0]
    rng.randrange = lambda n: 2  # an Exim-style notice: "address\n    Unrouteable address"
    check(mutations.many_recipients(CORPUS[0], rng))


def test_regression_one_long_line_in_a_notice_nested_in_reports():
    """Fuzz input #28866 (bench/fuzz_bounces.py --seed 1): an Exim notice whose first line
    became 20 KB of one letter, inside three nested reports. flufl.bounce's patterns on that
    line took 0.6 s; it now sees lines of at most 1,000 characters."""
    check((HERE / "fuzz_inputs" / "exim_notice_one_20kb_line_nested.eml").read_bytes())


def test_regression_an_address_line_running_into_20kb_of_tabs():
    """Fuzz input #73593: an Exchange notice whose address line runs into 20,000 tabs. The
    bare-address pattern had two blank runs around an optional colon, which split the tabs
    every way (0.94 s)."""
    check((HERE / "fuzz_inputs" / "exchange_notice_address_then_20kb_of_tabs.eml").read_bytes())


def test_regression_fifty_recipients_sharing_one_huge_paragraph():
    """Fuzz input #41568: a Russian notice whose failed-recipients line (5,000 addresses) is
    repeated 180 times (20 MB). Each of the 50 recipients read gets the same 1,000-character
    paragraph, classified 50 times (0.19 s); the same text is now classified once, and one
    message's diagnostics have a character budget."""
    line = b"X-Failed-Recipients: " + b", ".join(
        b"user%d@example%d.com" % (i, i % 7) for i in range(5000)
    )
    check(line + "\nСообщение не доставлено.\n".encode() + (line + b"\n") * 180)


def test_regression_an_address_alone_on_a_line_running_into_blanks():
    """An unknown-format daemon notice whose address line runs into 15,000 tabs and then
    text: the address-alone pattern split the tabs every way (200 s)."""
    check(
        b"From: MAILER-DAEMON@example.net\nSubject: failure\n\n550 5.1.1 failed\n"
        + b"ana@example.com"
        + b"\t" * 15_000
        + b"x" * 400
        + b"\n"
    )


def test_regression_a_reply_subject_of_8kb_of_blanks():
    """A subject of "Re" and 8 KB of spaces with no colon (52 ms per reading, read three
    times), and a returned original whose To is 8 KB of one word (0.1 s)."""
    check(
        b"From: MAILER-DAEMON@example.net\nSubject: Re"
        + b" " * 8000
        + b"\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        b"Action: failed\nStatus: 5.1.1\n\n--b\nContent-Type: text/rfc822-headers\n\nTo: "
        + b"a" * 8000
        + b"\n\n--b--\n"
    )


def test_regression_a_dsn_whose_lines_became_dashes():
    """Fuzz input #19859 (bench/fuzz_bounces.py --seed 9): a GroupWise DSN turned into 900
    lines of 70 dashes. The original-message marker's `-+` gave its dashes back one by one
    to try every marker at each (108 ms); the dash run is possessive now."""
    check((HERE / "fuzz_inputs" / "groupwise_dsn_lines_of_dashes.eml").read_bytes())


def test_regression_hundreds_of_failed_recipients_headers():
    """Fuzz input #72543 (bench/fuzz_bounces.py --seed 1): a notice whose X-Failed-Recipients
    header was repeated into 1.6 MB. flufl.bounce parsed all 53,000 addresses (125 ms); the
    copy it reads keeps 32 KB of headers in all."""
    addresses = b",".join(b"u%d@x.io" % i for i in range(500))
    headers = b"X-Failed-Recipients: " + addresses + b"\n"
    check(b"From: Mail Delivery System <Mailer-Daemon@example.net>\n" + headers * 300 + b"\nx\n")
