"""Attachment rules and their MIME form, parsed back with the stdlib email package."""

from __future__ import annotations

import base64
import email
import email.policy

import pytest

from mailwright.delivery.mime import Attachment, OutgoingMessage, assemble
from mailwright.transactional.attachments import check, sanitise_filename
from mailwright.transactional.errors import SendError


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("evil\r\nBcc: x.pdf", "evilBcc: x.pdf"),
        ("  spaced   name .pdf ", "spaced name .pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_filenames_lose_paths_and_control_characters(raw, clean):
    assert sanitise_filename(raw) == clean


def test_check_sanitises_and_counts_decoded_bytes():
    [item] = check(
        [{"filename": "x/inv\r\n.pdf", "content_type": "Application/PDF", "content": "aGVs\nbG8="}]
    )
    assert item == {
        "filename": "inv.pdf",
        "content_type": "application/pdf",
        "content": base64.b64encode(b"hello").decode(),
        "size": 5,
    }
    with pytest.raises(SendError) as exc:
        check([{"filename": "script.js", "content_type": "text/plain", "content": "eA=="}])
    assert exc.value.code == "forbidden_attachment"


def test_message_with_attachments_parses_back():
    msg = OutgoingMessage(
        from_email="shop@example.com",
        from_name="Shop",
        to_email="a@example.com",
        to_name="",
        subject="Your invoice",
        html="<p>Invoice attached</p>",
        text="Invoice attached",
        message_id="<1.x@example.com>",
        attachments=[
            Attachment("faktura-ąę.pdf", "application/pdf", b"%PDF" + bytes(range(256)) * 10),
            Attachment("notes.txt", "text/plain", "zażółć\n".encode()),
        ],
    )
    raw = assemble(msg)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert not parsed.defects
    assert parsed.get_body(("plain",)).get_content().strip() == "Invoice attached"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Invoice attached</p>"
    files = list(parsed.iter_attachments())
    assert [f.get_filename() for f in files] == ["faktura-ąę.pdf", "notes.txt"]
    assert files[0].get_content() == b"%PDF" + bytes(range(256)) * 10
    assert files[1].get_payload(decode=True) == "zażółć\n".encode()
    # Without attachments the message stays multipart/alternative.
    plain = email.message_from_bytes(
        assemble(OutgoingMessage(**{**msg.__dict__, "attachments": []})),
        policy=email.policy.default,
    )
    assert plain.get_content_type() == "multipart/alternative"
