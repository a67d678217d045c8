"""DKIM: our signatures verify with dkimpy (an independent implementation), tampering breaks
them, keys are generated, rotated and listed without ever showing the private key."""

from __future__ import annotations

import base64
import hashlib
import re
import types

import dkim as dkimpy
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwright.delivery import dkim
from mailwright.delivery.mime import OutgoingMessage, assemble
from mailwright.delivery.models import DkimKey

ALGORITHMS = [dkim.ED25519, dkim.RSA]

NAMES = [
    ("Zażółć Gęślą Jaźń", "Wyprzedaż: -50% na wszystko! Łódź, Gdańsk i Kraków czekają"),
    ("Şükrü Öztürk", "İndirim başladı — kaçırmayın, ığdır ve şırnak da dahil"),
    ("Борис Петров", "Новини от нас: пролетна разпродажба на всички продукти"),
    ("Nguyễn Thị Ánh", "Ưu đãi đặc biệt dành cho bạn — chỉ trong tuần này"),
]


@pytest.fixture(autouse=True)
def _fresh_signer_cache():
    dkim.clear_cache()
    yield
    dkim.clear_cache()


@pytest.fixture(autouse=True)
def _ed25519_verifier(monkeypatch):
    """dkimpy verifies ed25519-sha256 through PyNaCl. Where PyNaCl is not installed, give
    dkimpy the two names it uses, backed by `cryptography`: dkimpy still parses, canonicalizes
    and hashes on its own; only the Ed25519 primitive comes from elsewhere."""
    if getattr(dkimpy, "nacl", None) is not None:
        return
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    class BadSignatureError(Exception):
        pass

    class VerifyKey:
        def __init__(self, key, encoder=None):
            self._key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key))

        def verify(self, message, signature):
            try:
                self._key.verify(signature, message)
            except InvalidSignature:
                raise BadSignatureError from None
            return message

    shim = types.SimpleNamespace(
        signing=types.SimpleNamespace(VerifyKey=VerifyKey),
        encoding=types.SimpleNamespace(Base64Encoder=object),
        exceptions=types.SimpleNamespace(
            BadSignatureError=BadSignatureError, ValueError=ValueError
        ),
    )
    monkeypatch.setattr(dkimpy, "nacl", shim, raising=False)


def unsaved_key(algorithm: str, domain: str = "example.com") -> DkimKey:
    pem, public = dkim._make_keypair(algorithm)
    return DkimKey(
        domain=domain,
        selector="mw202611abcd",
        algorithm=algorithm,
        private_key_pem=pem,
        public_key_b64=public,
    )


def verifies(message: bytes, key: DkimKey) -> bool:
    name, value = dkim.dns_record(key)

    def dnsfunc(qname: bytes, timeout: int = 5) -> bytes | None:
        return value.encode() if qname.decode().rstrip(".") == name else None

    return dkimpy.verify(message, dnsfunc=dnsfunc)


def build(name: str = "Anna Nowak", subject: str = "Hello", **kw) -> bytes:
    fields = dict(
        from_email="news@example.com",
        from_name="Mailwright Sklep",
        to_email="someone@example.org",
        to_name=name,
        subject=subject,
        html=f"<p>Cześć {name}</p>   \n\n.\n..two dots\n.leading dot   \n\n\n\n",
        text=f"Hi {name}\t \n.\n.leading dot\nline with trailing spaces   \n\n\n\n",
        message_id="<1.abc@example.com>",
        reply_to="help@example.com",
        extra_headers=[
            ("List-Unsubscribe", "<https://example.com/u/abc>, <mailto:u@example.com>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Feedback-ID", "c1:campaign:mailwright"),
        ],
    )
    fields.update(kw)
    return assemble(OutgoingMessage(**fields))


def signature_header(signed: bytes) -> bytes:
    assert signed.startswith(b"DKIM-Signature:")
    return re.match(rb"DKIM-Signature:.*?\r\n(?![ \t])", signed, re.S).group(0)


def tags(signed: bytes) -> dict[str, str]:
    text = re.sub(r"\s+", "", signature_header(signed).decode()[len("DKIM-Signature:") :])
    return dict(part.split("=", 1) for part in text.split(";") if part)


# --- signing --------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(("name", "subject"), NAMES)
def test_signed_assembled_messages_verify_with_dkimpy(algorithm, name, subject):
    key = unsaved_key(algorithm)
    message = build(name, subject)
    signed = dkim.DkimSigner(key).sign(message)
    assert signed.endswith(message)
    assert verifies(signed, key)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_signature_tags(algorithm):
    key = unsaved_key(algorithm)
    signed = dkim.DkimSigner(key).sign(build(), timestamp=1_800_000_000)
    t = tags(signed)
    assert t["v"] == "1"
    assert t["a"] == algorithm
    assert t["c"] == "relaxed/relaxed"
    assert t["d"] == "example.com"
    assert t["s"] == "mw202611abcd"
    assert t["t"] == "1800000000"
    assert t["h"].lower().split(":") == [
        "from",
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "reply-to",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "feedback-id",
    ]
    assert len(base64.b64decode(t["bh"])) == 32
    assert len(base64.b64decode(t["b"])) == (64 if algorithm == dkim.ED25519 else 256)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_signature_header_is_folded(algorithm):
    signed = dkim.DkimSigner(unsaved_key(algorithm)).sign(build())
    lines = signature_header(signed)[:-2].split(b"\r\n")
    assert len(lines) > 1
    assert all(len(line) < 78 for line in lines), lines
    assert all(line[:1] in (b" ", b"\t") for line in lines[1:])


def test_long_domain_lines_stay_under_998():
    domain = ".".join(["a" * 60] * 4) + ".com"
    key = unsaved_key(dkim.RSA, domain=domain)
    message = build(from_email=f"news@{domain}")
    signed = dkim.DkimSigner(key).sign(message)
    assert all(len(line) <= 998 for line in signature_header(signed).split(b"\r\n"))
    assert verifies(signed, key)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_raw_utf8_to_header_verifies(algorithm):
    key = unsaved_key(algorithm)
    message = build("Ưu Đãi", "Tin mới", to_email="łucja@przykład.pl")
    assert "łucja@przykład.pl".encode() in message  # RFC 6532: the address travels as UTF-8
    assert verifies(dkim.DkimSigner(key).sign(message), key)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_handwritten_message_with_messy_headers_and_body(algorithm):
    """Folded headers with tabs and runs of spaces, mixed-case names,
    raw UTF-8 in a header, trailing whitespace everywhere, empty lines at the end."""
    key = unsaved_key(algorithm)
    message = (
        b"Received: from somewhere\r\n"
        b'FROM:   "Gr\xc3\xbc\xc3\x9fe"   <news@example.com>  \r\n'
        b'To: =?utf-8?q?Zofia?=\r\n\t <zofia@example.org>,\r\n  "J\xc3\xb3zef"  <j@example.org>\r\n'
        b"Subject:   A   subject\r\n   folded\t\tover   three\r\n\tlines   \r\n"
        b"Date: Sun, 22 Nov 2026 18:00:00 +0000\r\n"
        b"Message-ID: <x.1@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"First line   \r\n"
        b"\tindented\t\tline\t\r\n"
        b".\r\n"
        b"..dots\r\n"
        b"\xc5\xbc\xc3\xb3\xc5\x82w   \r\n"
        b"   \r\n"
        b"\r\n"
        b"\r\n"
    )
    signed = dkim.DkimSigner(key).sign(message)
    assert verifies(signed, key)
    # Relaxed canonicalization tolerates what relays commonly do to whitespace…
    rewrapped = signed.replace(b"A   subject\r\n   folded", b"A subject folded")
    assert rewrapped != signed
    assert verifies(rewrapped, key)
    assert verifies(signed.replace(b"First line   \r\n", b"First line\r\n"), key)
    assert verifies(signed.rstrip(b"\r\n") + b"\r\n", key)


def test_empty_body_and_bare_lf_message():
    key = unsaved_key(dkim.ED25519)
    signer = dkim.DkimSigner(key)
    bare = b"From: a@example.com\r\nSubject: empty\r\n\r\n"
    assert verifies(signer.sign(bare), key)
    assert tags(signer.sign(bare))["bh"] == base64.b64encode(hashlib.sha256(b"").digest()).decode()
    lf = b"From: a@example.com\nSubject: lf\n\nline one\n\n"
    signed = signer.sign(lf)
    assert b"\r\nline one\r\n" in signed
    assert verifies(signed, key)


def test_message_without_from_is_refused():
    with pytest.raises(ValueError, match="From"):
        dkim.DkimSigner(unsaved_key(dkim.ED25519)).sign(b"Subject: x\r\n\r\nbody\r\n")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_tampering_breaks_the_signature(algorithm):
    key = unsaved_key(algorithm)
    signed = dkim.DkimSigner(key).sign(build("Zażółć", "Oryginalny temat"))
    assert verifies(signed, key)

    body_at = signed.index(b"\r\n\r\n") + 4
    tampered_body = signed[:body_at] + signed[body_at:].replace(b"Hi ", b"Yo ", 1)
    assert tampered_body != signed
    assert not verifies(tampered_body, key)

    subject = re.search(rb"\r\nSubject: [^\r]*", signed).group(0)
    tampered_subject = signed.replace(subject, b"\r\nSubject: Something else", 1)
    assert not verifies(tampered_subject, key)

    # From is oversigned: a second From added in transit breaks it too.
    head, sep, body = signed.partition(b"\r\n\r\n")
    extra_from = head + b"\r\nFrom: evil@example.net" + sep + body
    assert not verifies(extra_from, key)


def test_wrong_published_key_fails():
    key, other = unsaved_key(dkim.RSA), unsaved_key(dkim.RSA)
    signed = dkim.DkimSigner(key).sign(build())
    assert not verifies(signed, other)


def test_signer_from_pem_and_validation():
    key = unsaved_key(dkim.RSA)
    signer = dkim.DkimSigner(
        key.private_key_pem, selector=key.selector, domain="EXAMPLE.com", algorithm="rsa"
    )
    assert signer.domain == "example.com"
    assert verifies(signer.sign(build()), key)
    with pytest.raises(ValueError):
        dkim.DkimSigner(key.private_key_pem, selector=key.selector, domain="example.com",
                        algorithm="ed25519")  # fmt: skip
    with pytest.raises(ValueError):
        dkim.DkimSigner(key.private_key_pem, selector="bad selector!", domain="example.com")
    assert "PRIVATE" not in repr(signer)


_PROPERTY_KEYS = {a: unsaved_key(a) for a in ALGORITHMS}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=st.text(min_size=0, max_size=200),
    body=st.text(min_size=0, max_size=2000),
    name=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=0, max_size=40
    ),
    algorithm=st.sampled_from(ALGORITHMS),
)
def test_property_random_text_signs_and_verifies(subject, body, name, algorithm):
    key = _PROPERTY_KEYS[algorithm]
    message = build(name, subject, text=body, html=f"<pre>{body}</pre>")
    signed = dkim.DkimSigner(key).sign(message)
    assert verifies(signed, key)


# --- keys -----------------------------------------------------------------------------------

SELECTOR = re.compile(r"^mw\d{6}[0-9a-f]{4}$")


@pytest.mark.django_db
def test_generate_ed25519_key():
    key = dkim.generate_key("Example.COM.", dkim.ED25519)
    assert key.pk and key.active and key.retired_at is None
    assert key.domain == "example.com"
    assert key.algorithm == dkim.ED25519
    assert SELECTOR.match(key.selector)
    assert key.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert len(base64.b64decode(key.public_key_b64)) == 32  # raw key, RFC 8463
    name, value = dkim.dns_record(key)
    assert name == f"{key.selector}._domainkey.example.com"
    assert value == f"v=DKIM1; k=ed25519; p={key.public_key_b64}"


@pytest.mark.django_db
def test_generate_rsa_key():
    key = dkim.generate_key("example.com", "rsa")
    assert key.algorithm == dkim.RSA
    public = serialization.load_der_public_key(base64.b64decode(key.public_key_b64))
    assert public.key_size == 2048  # SubjectPublicKeyInfo DER, as p= expects
    assert dkim.dns_record(key)[1].startswith("v=DKIM1; k=rsa; p=MIIBIjAN")
    line = dkim.zone_file_line(key)
    assert all(len(chunk) <= 255 for chunk in re.findall(r'"([^"]*)"', line))
    assert "".join(re.findall(r'"([^"]*)"', line)) == dkim.dns_record(key)[1]


@pytest.mark.django_db
def test_generated_keys_get_distinct_selectors():
    selectors = {dkim.generate_key("example.com").selector for _ in range(5)}
    assert len(selectors) == 5


@pytest.mark.django_db
def test_idna_domain_is_normalised():
    key = dkim.generate_key("Przykład.PL")
    assert key.domain == "xn--przykad-rjb.pl" == "przykład.pl".encode("idna").decode()
    assert dkim.signer_for("przykład.pl").selector == key.selector


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "localhost", "exa mple.com", "-bad.com", "a@b.com", "1.2.3.4", "x" * 64 + ".com"],
)
def test_invalid_domains_are_refused(bad):
    with pytest.raises(dkim.InvalidDomain):
        dkim.normalize_domain(bad)


@pytest.mark.django_db
def test_unknown_algorithm_is_refused():
    with pytest.raises(dkim.UnknownAlgorithm):
        dkim.generate_key("example.com", "dsa")
    assert not DkimKey.objects.exists()


@pytest.mark.django_db
def test_rotate_retires_previous_keys_and_switches_the_signer():
    first = dkim.generate_key("example.com", "rsa")
    other_domain = dkim.generate_key("example.org")
    assert dkim.signer_for("example.com").selector == first.selector

    second = dkim.rotate("example.com")
    first.refresh_from_db()
    assert second.active and second.algorithm == dkim.RSA  # keeps the current algorithm
    assert not first.active and first.retired_at is not None
    assert dkim.key_state(first) == "retiring"
    assert dkim.signer_for("example.com").selector == second.selector

    third = dkim.rotate("example.com", "ed25519")
    second.refresh_from_db()
    assert third.algorithm == dkim.ED25519
    assert not second.active
    assert list(DkimKey.objects.filter(domain="example.com", active=True)) == [third]
    assert DkimKey.objects.filter(domain="example.com").count() == 3  # retired ones are kept
    other_domain.refresh_from_db()
    assert other_domain.active  # other domains untouched

    first.retired_at -= dkim.RETIRING_PERIOD
    assert dkim.key_state(first) == "retired"


@pytest.mark.django_db
def test_rotate_without_a_key_creates_one():
    key = dkim.rotate("example.net")
    assert key.active and key.algorithm == dkim.RSA  # what Gmail and everyone verify


@pytest.mark.django_db
def test_signer_for():
    assert dkim.signer_for("example.com") is None
    assert dkim.signer_for("not a domain") is None
    parent = dkim.generate_key("example.com")
    newer = dkim.generate_key("example.com", "rsa")
    signer = dkim.signer_for("EXAMPLE.com")
    assert signer.selector == newer.selector and signer.algorithm == dkim.RSA
    assert dkim.signer_for("example.com") is signer  # cached per key
    # A subdomain without its own key is signed with the parent's (relaxed alignment).
    assert dkim.signer_for("news.example.com").domain == "example.com"
    own = dkim.generate_key("news.example.com")
    assert dkim.signer_for("news.example.com").selector == own.selector
    DkimKey.objects.filter(domain="example.com").update(active=False)
    assert dkim.signer_for("example.com") is None
    assert parent.pk


@pytest.mark.django_db
def test_signer_for_signs_verifiable_mail():
    key = dkim.generate_key("example.com", "ed25519")
    signed = dkim.signer_for("example.com").sign(build())
    assert verifies(signed, key)


@pytest.mark.django_db
def test_private_key_never_shown():
    key = dkim.generate_key("example.com", "rsa")
    pem_body = "".join(key.private_key_pem.strip().splitlines()[1:-1])
    for text in (str(key), repr(key), repr(dkim.signer_for("example.com"))):
        assert "PRIVATE" not in text
        assert pem_body[:40] not in text


# --- commands -------------------------------------------------------------------------------


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("dkim", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_dkim_commands_generate_rotate_list():
    out = run("generate", "example.com", "--algorithm", "rsa")
    key = DkimKey.objects.get()
    name, value = dkim.dns_record(key)
    assert name in out and value in out
    out = run("rotate", "example.com", "--algorithm", "ed25519")
    new = DkimKey.objects.get(active=True)
    assert new.algorithm == dkim.ED25519
    assert dkim.dns_record(new)[1] in out
    assert f"Retiring {name}" in out

    run("generate", "example.org")
    listing = run("list")
    for k in DkimKey.objects.all():
        assert k.selector in listing
        assert dkim.dns_record(k)[1] in listing
        pem_lines = k.private_key_pem.strip().splitlines()[1:-1]
        assert "PRIVATE" not in listing
        assert all(line not in listing for line in pem_lines)
    assert "retiring" in listing and "active" in listing
    only = run("list", "example.org")
    assert "example.org" in only and "example.com" not in only
    assert "No DKIM keys for nothing.example" in run("list", "nothing.example")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("generate", ""), "empty"),
        (("generate", "not a domain"), "not a valid domain"),
        (("generate", "example.com", "--algorithm", "dsa"), "unknown algorithm"),
        (("rotate", "example.com", "--algorithm", "md5"), "unknown algorithm"),
        (("list", "bad..domain"), "not a valid domain"),
    ],
)
def test_dkim_command_bad_input(args, reason):
    with pytest.raises(CommandError, match=reason):
        run(*args)
    assert not DkimKey.objects.exists()


@pytest.mark.django_db
def test_a_batch_of_other_domains_does_not_unsign_a_lanes_later_chunks():
    """Every lane of a worker shares one composer and refreshes it per batch: lane A (shop.pl)
    prepares, lane B (news.pl) prepares, lane A composes its next chunk — still signed."""
    from mailwright.delivery.compose import Composer

    shop, news = dkim.generate_key("shop.pl"), dkim.generate_key("news.pl")
    composer = Composer()
    composer.refresh(None, {"shop.pl": dkim.signer_for("shop.pl")})  # lane A's batch
    composer.refresh(None, {"news.pl": dkim.signer_for("news.pl")})  # lane B's batch
    msg = OutgoingMessage(
        from_email="orders@shop.pl",
        from_name="Shop",
        to_email="a@example.com",
        to_name="",
        subject="Order",
        html="<p>x</p>",
        text="x",
        message_id="<1@shop.pl>",
    )
    signed = composer.sign("orders@shop.pl", assemble(msg))
    assert signed.startswith(b"DKIM-Signature:") and f"s={shop.selector}".encode() in signed
    # A key removed from a domain takes effect with the next batch from that domain.
    composer.refresh(None, {"news.pl": None})
    assert not composer.sign("a@news.pl", assemble(msg)).startswith(b"DKIM-Signature:")
    assert news.selector
