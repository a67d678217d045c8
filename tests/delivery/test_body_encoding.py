"""Text parts go as 7bit, 8bit or quoted-printable: what each looks like on the wire, that it
parses back to the text that was meant, that DKIM signatures over each verify with dkimpy,
and that 8bit mail only goes to relays that offer 8BITMIME (client and engine end to end)."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy

import dkim as dkimpy
import pytest
from dkim.canonicalization import Relaxed
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mailwright.delivery import dkim, engine, sending
from mailwright.delivery.mime import OutgoingMessage, assemble, encode_body
from mailwright.delivery.models import Delivery, DkimKey
from mailwright.delivery.smtp_client import Envelope, SmtpClient
from tests.conftest import make_campaign, make_contact, run_worker
from tests.smtp_servers import FastSink

SENDER = "bounces@mailwright.test"
MAX_LINE = 998  # RFC 5322 §2.1.1: octets per line, CRLF excluded

SAMPLES = {
    "pl": "Zażółć gęślą jaźń — Łucja Kowalska z Łodzi i Gdańska",
    "tr": "Şule Yılmaz: İndirim başladı, Iğdır ve Şırnak dahil",
    "bg": "Здравей, Иван Петров! Пролетна разпродажба на всичко",
    "vi": "Xin chào Nguyễn Văn An, ưu đãi đặc biệt chỉ tuần này",
}
LANGUAGES = list(SAMPLES)
# Lines that SMTP and mbox software treat specially, plus trailing whitespace and a tab.
TRICKY = ".\n.leading dot\n..two dots\nFrom the team, with love\nfrom here on\ntrailing  \n\tend\n"
ASCII_TEXT = "Hello Anna,\n\nYour order has shipped.\n" + TRICKY


def outgoing(text: str, html: str | None = None, **kw) -> OutgoingMessage:
    fields = dict(
        from_email="news@example.com",
        from_name="Mailwright Sklep",
        to_email="someone@example.org",
        to_name="Łucja Kowalska",
        subject="Nowości",
        html=html if html is not None else f"<p>{text}</p>",
        text=text,
        message_id="<1.abc@example.com>",
        extra_headers=[("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")],
    )
    fields.update(kw)
    return OutgoingMessage(**fields)


def crlf(text: str) -> str:
    """`text` with every line ending (CR, LF or CRLF) as CRLF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parsed_parts(raw: bytes) -> dict[str, object]:
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    return {"plain": msg.get_body(("plain",)), "html": msg.get_body(("html",))}


def cte(part) -> str:
    return str(part["Content-Transfer-Encoding"])


def text_of(part) -> str:
    return lf(part.get_content())


def no_bare_line_breaks(data: bytes) -> bool:
    rest = data.replace(b"\r\n", b"")
    return b"\r" not in rest and b"\n" not in rest


def lines_of(body: bytes) -> list[bytes]:
    return body.split(b"\r\n")


# --- 1. encode_body and assemble ------------------------------------------------------------


@pytest.mark.parametrize("eight_bit", [False, True])
def test_ascii_text_is_7bit_and_byte_identical(eight_bit):
    encoding, body = encode_body(ASCII_TEXT, eight_bit)
    assert encoding == b"7bit"
    assert body == crlf(ASCII_TEXT).encode("ascii")

    raw = assemble(outgoing(ASCII_TEXT, html="<p>Hello Anna</p>\n"), eight_bit=eight_bit)
    assert raw.isascii()
    # The part's bytes are exactly the text, unencoded, between its headers and the boundary.
    section = b"Content-Transfer-Encoding: 7bit\r\n\r\n" + crlf(ASCII_TEXT).encode() + b"\r\n--"
    assert section in raw
    parts = parsed_parts(raw)
    assert cte(parts["plain"]) == cte(parts["html"]) == "7bit"
    assert text_of(parts["plain"]) == ASCII_TEXT
    assert text_of(parts["html"]) == "<p>Hello Anna</p>\n"


@pytest.mark.parametrize("language", LANGUAGES)
def test_non_ascii_text_is_8bit_raw_utf8_when_the_relay_offers_8bitmime(language):
    sample = SAMPLES[language]
    text = f"{sample}\n{TRICKY}{sample}\n"
    html = f"<h1>{sample}</h1>\n<p>{sample.upper()}</p>\n"

    encoding, body = encode_body(text, eight_bit=True)
    assert encoding == b"8bit"
    assert body == crlf(text).encode("utf-8")

    raw = assemble(outgoing(text, html), eight_bit=True)
    assert not raw.isascii()
    assert sample.encode("utf-8") in raw  # sent as is, not encoded
    assert no_bare_line_breaks(raw)
    parts = parsed_parts(raw)
    assert cte(parts["plain"]) == cte(parts["html"]) == "8bit"
    assert text_of(parts["plain"]) == text
    assert text_of(parts["html"]) == html


@pytest.mark.parametrize("language", LANGUAGES)
def test_non_ascii_text_is_quoted_printable_without_8bitmime(language):
    sample = SAMPLES[language]
    text = f"{sample}\n{TRICKY}{sample}   \n"
    html = f"<h1>{sample}</h1>\n<p>{sample.upper()}</p>"

    encoding, body = encode_body(text)
    assert encoding == b"quoted-printable"
    assert body.isascii() and no_bare_line_breaks(body)
    assert all(len(line) <= 76 for line in lines_of(body))  # RFC 2045 §6.7 (5)

    raw = assemble(outgoing(text, html), eight_bit=False)
    assert raw.isascii(), "without 8BITMIME every byte of the message is 7-bit"
    assert sample.encode("utf-8") not in raw
    parts = parsed_parts(raw)
    assert cte(parts["plain"]) == cte(parts["html"]) == "quoted-printable"
    assert text_of(parts["plain"]) == text
    assert text_of(parts["html"]) == html


@pytest.mark.parametrize("eight_bit", [False, True])
def test_ascii_line_over_998_octets_forces_quoted_printable(eight_bit):
    fits = "a" * MAX_LINE
    assert encode_body(f"short\n{fits}\nshort\n", eight_bit)[0] == b"7bit"

    long_line = "b" * (MAX_LINE + 1)
    text = f"short\n{long_line}\nshort\n"
    encoding, body = encode_body(text, eight_bit)
    assert encoding == b"quoted-printable"
    assert all(len(line) <= 76 for line in lines_of(body))
    parts = parsed_parts(assemble(outgoing(text, html=long_line), eight_bit=eight_bit))
    assert cte(parts["plain"]) == cte(parts["html"]) == "quoted-printable"
    assert text_of(parts["plain"]) == text
    assert text_of(parts["html"]) == long_line


def test_8bit_line_limit_counts_octets_not_characters():
    # Cyrillic letters are 2 octets in UTF-8, Vietnamese letters with two marks 3 octets.
    assert encode_body("Щ" * 300, eight_bit=True)[0] == b"8bit"  # 600 octets
    assert encode_body("Щ" * 499, eight_bit=True)[0] == b"8bit"  # 998 octets
    assert encode_body("ab\n" + "Щ" * 500 + "\n", eight_bit=True)[0] == b"quoted-printable"
    assert encode_body("ệ" * 333, eight_bit=True)[0] == b"quoted-printable"  # 999 octets
    # 600 characters is well under 998 characters but 1,200 octets: too long for 8bit.
    line = "Иван Петров " * 50
    assert len(line) == 600
    assert encode_body(f"{line}\nend\n", eight_bit=True)[0] == b"quoted-printable"
    parts = parsed_parts(assemble(outgoing(f"{line}\nend\n", html=line), eight_bit=True))
    assert cte(parts["plain"]) == cte(parts["html"]) == "quoted-printable"
    assert text_of(parts["plain"]) == f"{line}\nend\n"
    assert text_of(parts["html"]) == line


@pytest.mark.parametrize(
    ("text", "eight_bit"),
    [("a\x00b\n", False), ("a\x00b\n", True), ("Łucja\x00\n", True), ("Łucja\x00\n", False)],
)
def test_nul_forces_quoted_printable(text, eight_bit):
    encoding, body = encode_body(text, eight_bit)
    assert encoding == b"quoted-printable"
    assert b"\x00" not in body and b"=00" in body
    parts = parsed_parts(assemble(outgoing(text, html="<p>x</p>"), eight_bit=eight_bit))
    assert text_of(parts["plain"]) == text


@pytest.mark.parametrize(
    ("prefix", "eight_bit", "expected"),
    [
        ("Hello", False, "7bit"),
        ("Hello", True, "7bit"),
        ("Şule", True, "8bit"),
        ("Şule", False, "quoted-printable"),
    ],
)
def test_bare_cr_lf_and_crlf_all_become_crlf(prefix, eight_bit, expected):
    text = f"{prefix} one\rtwo\r\nthree\nfour\r\rfive\n\r\nsix\r"
    meant = f"{prefix} one\ntwo\nthree\nfour\n\nfive\n\nsix\n"
    encoding, body = encode_body(text, eight_bit)
    assert encoding.decode() == expected
    assert no_bare_line_breaks(body)
    if expected != "quoted-printable":
        assert body == crlf(meant).encode("utf-8")
    raw = assemble(outgoing(text, html=text), eight_bit=eight_bit)
    assert no_bare_line_breaks(raw)
    parts = parsed_parts(raw)
    assert cte(parts["plain"]) == expected
    assert text_of(parts["plain"]) == meant
    assert text_of(parts["html"]) == meant


@pytest.mark.parametrize("ending", [" ", "\t"])
def test_quoted_printable_lines_with_trailing_space_stay_within_76(ending):
    text = f"Łucja,\n{'a' * 75}{ending}\nkoniec\n"
    encoding, body = encode_body(text)
    assert encoding == b"quoted-printable"
    assert text_of(parsed_parts(assemble(outgoing(text), eight_bit=False))["plain"]) == text
    assert max(len(line) for line in lines_of(body)) <= 76


def expected_encoding(text: str, eight_bit: bool) -> str:
    data = lf(text).encode("utf-8")
    fits = b"\x00" not in data and all(len(line) <= MAX_LINE for line in data.split(b"\n"))
    if fits and data.isascii():
        return "7bit"
    if fits and eight_bit:
        return "8bit"
    return "quoted-printable"


_ASCII_PIECES = [" ", "  ", "\t", "\n", "\r", "\r\n", ".", "..", "From ", "=", "-", "a", "Z"]
_OTHER_PIECES = ["ł", "Ş", "ı", "Ж", "ệ", "Ư", "€", "\x00", "a" * 200, "Щ" * 120, "ệ" * 90]
_PIECES = st.sampled_from([*_ASCII_PIECES, *_OTHER_PIECES])
_TEXTS = st.lists(_PIECES, max_size=40).map("".join)


@hypothesis_settings(max_examples=150, deadline=None)
@given(text=_TEXTS, eight_bit=st.booleans())
def test_property_encoding_choice_line_limits_and_round_trip(text, eight_bit):
    encoding, body = encode_body(text, eight_bit)
    assert encoding.decode() == expected_encoding(text, eight_bit)
    assert no_bare_line_breaks(body)
    if encoding in (b"7bit", b"8bit"):
        assert all(len(line) <= MAX_LINE for line in lines_of(body))
        assert body.decode("utf-8") == crlf(text)
    else:
        assert body.isascii()
        assert all(len(line) <= 76 for line in lines_of(body))
    raw = assemble(outgoing(text, html=text), eight_bit=eight_bit)
    assert no_bare_line_breaks(raw)
    assert raw.isascii() or eight_bit
    parts = parsed_parts(raw)
    assert text_of(parts["plain"]) == lf(text)
    assert text_of(parts["html"]) == lf(text)


# --- 2. DKIM over every body encoding -------------------------------------------------------

ALGORITHMS = [dkim.ED25519, dkim.RSA]

ENCODED = {
    # name: (text, html, eight_bit, expected Content-Transfer-Encoding of both parts)
    "7bit": (ASCII_TEXT, "<p>Hello Anna</p>\n<p>.</p>\n", False, "7bit"),
    "8bit": (
        f"{SAMPLES['pl']}\n{TRICKY}{SAMPLES['bg']}\n",
        f"<p>{SAMPLES['tr']}</p>\n<p>{SAMPLES['vi']}</p>\n",
        True,
        "8bit",
    ),
    "quoted-printable": (
        f"{SAMPLES['pl']}\n{TRICKY}{SAMPLES['bg']}  \n",
        f"<p>{SAMPLES['tr']}</p>\n<p>{SAMPLES['vi']}</p>",
        False,
        "quoted-printable",
    ),
    "quoted-printable long ascii line": (
        "x" * 1200 + "\n" + TRICKY,
        "<p>" + "y" * 1500 + "</p>",
        True,
        "quoted-printable",
    ),
}


def unsaved_key(algorithm: str) -> DkimKey:
    pem, public = dkim._make_keypair(algorithm)
    return DkimKey(
        domain="example.com",
        selector="mw202611beef",
        algorithm=algorithm,
        private_key_pem=pem,
        public_key_b64=public,
    )


def verifies(message: bytes, key: DkimKey) -> bool:
    """dkimpy's verdict, with the key's TXT record served by a controlled DNS function."""
    name, value = dkim.dns_record(key)

    def dnsfunc(qname: bytes, timeout: int = 5) -> bytes | None:
        return value.encode() if qname.decode().rstrip(".") == name else None

    return dkimpy.verify(message, dnsfunc=dnsfunc)


@pytest.fixture(scope="module")
def keys() -> dict[str, DkimKey]:
    return {algorithm: unsaved_key(algorithm) for algorithm in ALGORITHMS}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("variant", list(ENCODED))
def test_dkim_signature_over_each_body_encoding_verifies_with_dkimpy(keys, algorithm, variant):
    text, html, eight_bit, encoding = ENCODED[variant]
    message = assemble(outgoing(text, html), eight_bit=eight_bit)
    parts = parsed_parts(message)
    assert cte(parts["plain"]) == cte(parts["html"]) == encoding
    key = keys[algorithm]

    signed = dkim.DkimSigner(key).sign(message, crlf=True)  # as Composer.sign does it
    assert signed.endswith(message)
    assert verifies(signed, key)

    # A changed byte in the body must break it (the verification above means something).
    head, sep, body = signed.partition(b"\r\n\r\n")
    for needle, change in ((b"Hello", b"Hellp"), (b"\xc5\x81", b"L"), (b"=C5=81", b"L")):
        body = body.replace(needle, change, 1)
    tampered = head + sep + body.replace(b"xxx", b"xyx", 1)
    assert tampered != signed
    assert not verifies(tampered, key)


@hypothesis_settings(max_examples=40, deadline=None)
@given(text=_TEXTS.filter(lambda t: "\x00" not in t), eight_bit=st.booleans())
def test_property_signed_messages_verify_whatever_the_encoding(keys, text, eight_bit):
    key = keys[dkim.ED25519]
    message = assemble(outgoing(text, html=text), eight_bit=eight_bit)
    assert verifies(dkim.DkimSigner(key).sign(message, crlf=True), key)


_WORDS = st.sampled_from(
    [b"word", b"Hello", b".", b"=20", b"\xc5\x81ucja", b"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd"]
)
_BODY_PIECES = st.one_of(
    st.sampled_from([b" ", b"  ", b"\t", b" \t ", b"\r\n", b"\r\n\r\n"]), _WORDS
)


@hypothesis_settings(max_examples=600, deadline=None)
@given(body=st.lists(_BODY_PIECES, max_size=60).map(b"".join))
def test_property_relaxed_body_canonicalization_matches_dkimpy(body):
    assert dkim.canonicalize_body_relaxed(body) == Relaxed.canonicalize_body(body)


@hypothesis_settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200))
def test_property_relaxed_body_canonicalization_matches_dkimpy_on_any_bytes(body):
    # Bare CR and LF, other control bytes, invalid UTF-8: still the same as dkimpy.
    assert dkim.canonicalize_body_relaxed(body) == Relaxed.canonicalize_body(body)


@pytest.mark.parametrize(
    ("body", "canonical"),
    [
        (b"", b""),
        (b"\r\n\r\n", b""),
        (b" \t \r\n", b""),
        (b"a", b"a\r\n"),
        (b"a  \t b \t\r\n\r\n\r\n", b"a b\r\n"),
        (b"\tx\r\n \r\ny  \r\n", b" x\r\n\r\ny\r\n"),
    ],
)
def test_relaxed_body_canonicalization_examples(body, canonical):
    assert dkim.canonicalize_body_relaxed(body) == canonical == Relaxed.canonicalize_body(body)


# --- 3. the SMTP client and 8BITMIME --------------------------------------------------------


def send(relay, *batches: list[Envelope]):
    """Send the batches over one client; returns the results of each batch."""

    async def scenario():
        client = SmtpClient(relay)
        try:
            return [await client.send_batch(batch) for batch in batches]
        finally:
            await client.close()

    return asyncio.run(scenario())


def envelope(recipient: str, text: str, eight_bit: bool) -> Envelope:
    msg = outgoing(text, html=f"<p>{text}</p>", to_email=recipient)
    return Envelope(SENDER, recipient, assemble(msg, eight_bit=eight_bit))


def mixed_envelopes() -> list[Envelope]:
    text = f"{SAMPLES['pl']}\n{TRICKY}"
    return [
        envelope("eight@example.com", text, eight_bit=True),
        envelope("ascii@example.com", ASCII_TEXT, eight_bit=True),
        envelope("qp@example.com", text, eight_bit=False),
    ]


@pytest.mark.parametrize("pipelining", [True, False])
def test_8bit_message_is_sent_with_body_8bitmime_and_arrives_intact(fast_sink, pipelining):
    sink = fast_sink(pipelining=pipelining)
    items = mixed_envelopes()
    (results,) = send(sink.relay, items)

    assert [r.kind for r in results] == ["sent"] * 3
    got = {m.rcpt: m for m in sink.messages}
    assert got["eight@example.com"].mail_params.split() == ["BODY=8BITMIME"]
    assert got["ascii@example.com"].mail_params == ""
    assert got["qp@example.com"].mail_params == ""
    for env in items:
        assert got[env.recipient].data == env.data  # un-dot-stuffed by the sink: byte-identical
    # Dot-stuffing kept ".", ".leading dot", "..two dots" and "From " lines as they were.
    for rcpt in ("eight@example.com", "ascii@example.com", "qp@example.com"):
        plain = text_of(parsed_parts(got[rcpt].data)["plain"])
        assert "\n.\n.leading dot\n..two dots\nFrom the team, with love\n" in plain


@pytest.mark.parametrize("pipelining", [True, False])
def test_relay_without_8bitmime_gets_no_8bit_message(fast_sink, pipelining):
    sink = fast_sink(eightbitmime=False, pipelining=pipelining)
    (results,) = send(sink.relay, mixed_envelopes())

    assert [r.kind for r in results] == ["temporary", "sent", "sent"]
    assert "8BITMIME" in results[0].text
    assert sorted(sink.recipients()) == ["ascii@example.com", "qp@example.com"]
    assert sink.mail_commands == 2  # nothing at all was said about the 8bit message
    assert all("BODY" not in m.mail_params for m in sink.messages)


def test_smtputf8_message_goes_to_a_relay_without_8bitmime(fast_sink):
    # RFC 6531 mail carries UTF-8 anyway; SMTPUTF8 is what the relay must offer for it.
    sink = fast_sink(eightbitmime=False, smtputf8=True)
    text = f"{SAMPLES['vi']}\n"
    (results,) = send(sink.relay, [envelope("łucja@przykład.pl", text, eight_bit=True)])
    assert [r.kind for r in results] == ["sent"]
    assert sink.messages[0].mail_params.split() == ["SMTPUTF8"]
    assert text_of(parsed_parts(sink.messages[0].data)["plain"]) == text


async def _abort_all(sink: FastSink) -> None:
    from tests.smtp_servers import _SinkProtocol

    for protocol in list(_SinkProtocol.live.get(id(sink), ())):
        protocol.transport.abort()


def _after_relay_restart_without_8bitmime(sink: FastSink, notice_first: bool):
    """Send an ASCII message; the relay restarts without 8BITMIME, dropping the idle
    connection; then send a message composed as 8bit (what the engine composes after the
    first EHLO offered 8BITMIME) and an ASCII one over the same client."""
    text = f"{SAMPLES['tr']}\n"

    async def scenario():
        client = SmtpClient(sink.relay)
        first = await client.send_batch([envelope("before@example.com", ASCII_TEXT, True)])
        await client._writer.drain()
        assert client.eightbitmime
        sink.eightbitmime = False
        sink._bg.submit(_abort_all(sink)).result(timeout=5)
        if notice_first:  # the client sees the connection close while idle
            for _ in range(500):
                if not client.is_connected:
                    break
                await asyncio.sleep(0.01)
            assert not client.is_connected
        second = await client.send_batch(
            [envelope("eight@example.com", text, True), envelope("ascii@example.com", "hi", True)]
        )
        await client.close()
        return first + second

    return asyncio.run(scenario())


def test_relay_that_stops_offering_8bitmime_gets_no_8bit_message(fast_sink):
    sink = fast_sink()
    results = _after_relay_restart_without_8bitmime(sink, notice_first=True)

    assert [r.kind for r in results] == ["sent", "temporary", "sent"]
    assert "8BITMIME" in results[1].text
    assert sink.recipients() == ["before@example.com", "ascii@example.com"]
    assert sink.connections == 2


def test_relay_that_stops_offering_8bitmime_unnoticed_gets_no_8bit_message(fast_sink):
    sink = fast_sink()
    results = _after_relay_restart_without_8bitmime(sink, notice_first=False)

    assert "BODY=8BITMIME" not in [m.mail_params for m in sink.messages]
    assert [r.kind for r in results] == ["sent", "temporary", "sent"]


# --- 4. the engine end to end ---------------------------------------------------------------

CONTACT_NAMES = [
    "Łucja Kowalska",
    "Şule Yılmaz",
    "Иван Петров",
    "Nguyễn Văn An",
    "Zbigniew Brzęczyszczykiewicz",
    "İlkay Gündoğan",
    "Мария Иванова",
    "Trần Thị Bích Ngọc",
]
HTML = (
    "<h1>Cześć {{ contact.name }}!</h1>"
    "<p>News from {{ organisation.name }}.</p>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · '
    '<a href="{{ preferences_url }}">Preferences</a></p>'
)
CHUNK = 3


@pytest.fixture
def campaign_to_non_ascii_names(newsletter, monkeypatch):
    """Eight contacts with non-ASCII names; the engine sends chunks of CHUNK messages, so one
    batch of eight goes as three chunks over one connection."""
    monkeypatch.setattr(engine, "SEND_CHUNK", CHUNK)
    for i, name in enumerate(CONTACT_NAMES):
        make_contact(f"c{i}@example.com", newsletter, name=name)
    campaign = make_campaign(newsletter, html=HTML)
    assert sending.start(campaign.id).recipients_total == len(CONTACT_NAMES)
    return campaign


def received_by_name(sink: FastSink) -> list[tuple[str, object, dict]]:
    """(contact name, parsed message, its parts) in the order the relay received them."""
    names = {f"c{i}@example.com": name for i, name in enumerate(CONTACT_NAMES)}
    out = []
    for m in sink.messages:
        msg = message_from_bytes(m.data, policy=policy.default)
        out.append((names[m.rcpt], msg, parsed_parts(m.data)))
    return out


def assert_personalised(received) -> None:
    assert sorted(name for name, _, _ in received) == sorted(CONTACT_NAMES)
    for name, msg, parts in received:
        assert msg["To"].addresses[0].display_name == name
        assert f"Hello {name.split()[0]}" == msg["Subject"]
        assert f"Cześć {name}!" in text_of(parts["html"])
        assert f"Cześć {name}!" in text_of(parts["plain"])


def all_sent(campaign) -> None:
    counts = sending.delivery_counts(campaign.id)
    assert counts["sent"] == len(CONTACT_NAMES)
    assert counts["deferred"] == counts["failed"] == counts["queued"] == 0
    assert not Delivery.objects.exclude(state=Delivery.State.SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_campaign_goes_8bit_once_the_relay_has_offered_8bitmime(
    fast_sink, campaign_to_non_ascii_names
):
    key = dkim.generate_key("example.com", dkim.ED25519)
    dkim.clear_cache()
    sink = fast_sink()
    try:
        assert run_worker(sink.relay, lanes=1, batch_size=50) == len(CONTACT_NAMES)
    finally:
        dkim.clear_cache()

    all_sent(campaign_to_non_ascii_names)
    assert sink.connections == 1
    received = received_by_name(sink)
    assert_personalised(received)
    for i, (name, _, parts) in enumerate(received):
        data = sink.messages[i].data
        # Before the first EHLO nothing is known of the relay: the first chunk of a fresh
        # connection is quoted-printable; every later chunk is 8bit.
        expected = "quoted-printable" if i < CHUNK else "8bit"
        assert (cte(parts["html"]), cte(parts["plain"])) == (expected, expected), (i, name)
        assert ("BODY=8BITMIME" in sink.messages[i].mail_params) == (expected == "8bit")
        assert (name.encode("utf-8") in data) == (expected == "8bit")
        assert all(len(line) <= MAX_LINE for line in data.split(b"\r\n"))
        # Signed after encoding: dkimpy verifies the 8bit ones as well as the others.
        assert data.startswith(b"DKIM-Signature:")
        assert verifies(data, key), (i, name)


@pytest.mark.django_db(transaction=True)
def test_campaign_stays_quoted_printable_with_8bitmime_turned_off(
    fast_sink, campaign_to_non_ascii_names, settings
):
    settings.SMTP_8BITMIME = False
    sink = fast_sink()
    assert run_worker(sink.relay, lanes=1, batch_size=50) == len(CONTACT_NAMES)

    all_sent(campaign_to_non_ascii_names)
    received = received_by_name(sink)
    assert_personalised(received)
    for _, _, parts in received:
        assert cte(parts["html"]) == cte(parts["plain"]) == "quoted-printable"
    assert all(m.data.isascii() for m in sink.messages)
    assert all("BODY" not in m.mail_params for m in sink.messages)


@pytest.mark.django_db(transaction=True)
def test_campaign_to_a_relay_without_8bitmime_is_all_delivered_as_quoted_printable(
    fast_sink, campaign_to_non_ascii_names
):
    sink = fast_sink(eightbitmime=False)
    assert run_worker(sink.relay, lanes=1, batch_size=50) == len(CONTACT_NAMES)

    all_sent(campaign_to_non_ascii_names)
    assert sink.connections == 1
    received = received_by_name(sink)
    assert_personalised(received)
    for _, _, parts in received:
        assert cte(parts["html"]) == cte(parts["plain"]) == "quoted-printable"
    assert all(m.data.isascii() for m in sink.messages)
    assert all("BODY" not in m.mail_params for m in sink.messages)
