"""Hand-assembled MIME must parse back to exactly what was meant."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwright.delivery.mime import HeaderInjection, OutgoingMessage, assemble

NAMES = [
    ("Zażółć Gęślą Jaźń", "Wyprzedaż: -50% na wszystko!"),
    ("Şükrü Öztürk", "İndirim başladı — kaçırmayın"),
    ("Борис Петров", "Новини от нас: пролетна разпродажба"),
    ("Nguyễn Thị Ánh", "Ưu đãi đặc biệt dành cho bạn"),
    ("José Núñez", "¡Hola! Ofertas de temporada"),
]


def build(name: str, subject: str, **kw) -> bytes:
    defaults = dict(
        from_email="news@example.com",
        from_name="Mailwright Ltd",
        to_email="someone@example.com",
        to_name=name,
        subject=subject,
        html=f"<p>Cześć {name}, długa linia " + "ąę" * 200 + "</p>\n.\n.leading dot",
        text=f"Hi {name}\n.\nline\r\nwith CRLF\rand CR",
        message_id="<1.abc@example.com>",
    )
    defaults.update(kw)
    return assemble(OutgoingMessage(**defaults))


@pytest.mark.parametrize(("name", "subject"), NAMES)
def test_utf8_names_and_subjects_round_trip(name, subject):
    raw = build(name, subject)
    assert raw.isascii(), "7-bit safe: every non-ASCII byte is encoded"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == subject
    assert msg["To"].addresses[0].display_name == name
    assert msg["To"].addresses[0].addr_spec == "someone@example.com"
    assert msg["From"].addresses[0].display_name == "Mailwright Ltd"
    assert msg["Message-ID"] == "<1.abc@example.com>"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert f"Hi {name}" in text and "with CRLF" in text and "and CR" in text
    assert f"Cześć {name}" in html and "ąę" * 200 in html
    assert "\n.leading dot" in html


def test_extra_headers_and_reply_to():
    raw = build(
        "A",
        "S",
        reply_to="help@example.com",
        extra_headers=[("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")],
    )
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Reply-To"] == "help@example.com"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "field",
    [
        {"to_email": "a@example.com\r\nBcc: victim@example.com"},
        {"message_id": "<x@y>\nBcc: victim@example.com"},
        {"extra_headers": [("X-Test", "ok\r\nBcc: victim@example.com")]},
    ],
)
def test_header_injection_is_refused(field):
    with pytest.raises(HeaderInjection):
        build("A", "S", **field)


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=80), subject=st.text(max_size=200))
def test_no_text_in_name_or_subject_can_add_a_header(name, subject):
    """Subjects and names come from templates and contact data: line breaks in them are
    folded away, never turned into new headers."""
    raw = build(name, subject)
    msg = message_from_bytes(raw, policy=policy.compat32)
    assert msg.get_all("Bcc") is None
    assert len(msg.get_all("Subject")) == 1
    assert len(msg.get_all("To")) == 1
    headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    names = [h.split(b":", 1)[0] for h in headers if h and not h[:1].isspace()]
    assert names == [
        b"From",
        b"To",
        b"Subject",
        b"Date",
        b"Message-ID",
        b"MIME-Version",
        b"Content-Type",
    ]
