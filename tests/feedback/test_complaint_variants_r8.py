"""Round 8 complaint shapes: ARF fields in a text part, list addresses in the original's To,
Yahoo's X-Apparently-To, complaint digests and the relays' spam-complaint events."""

from pathlib import Path

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}


def _parse(rel: str):
    return parse_message((CORPUS / rel).read_bytes(), bounce_domains=OURS)


def test_arf_fields_at_the_top_of_a_plain_body_with_the_original_inline():
    p = _parse("arf/v8_machine_fields_single_body_inline_original.eml")
    assert p.complaint and not p.bounce
    assert p.complaint_recipient == "Noah.Bergstrom@Webmail-Host.example"
    assert p.verp_token


def test_list_address_in_a_subdomain_of_the_sender_is_not_the_complainer():
    p = _parse("arf/v8_other_type_arrival_date_rfc822_received_for.eml")
    assert p.complaint and p.feedback_type == "other"
    assert p.complaint_recipient == "kemal.aydin@telco-mail.example"


def test_yahoo_x_apparently_to_beats_a_list_to():
    p = _parse("yahoo/v8_cfl_headers_only_x_apparently_to_via_list_to.eml")
    assert p.complaint_recipient == "joao.pereira_br@yahoo.com.br"


def test_digest_of_several_complaints_gives_the_first_recipient():
    p = _parse("arf/v8_several_complaints_mixed_rfc822.eml")
    assert p.complaint and not p.bounce
    assert p.complaint_recipient == "marta.lindqvist@regio-isp.example"


def test_relay_spam_complaint_events_are_complaints_not_bounces():
    for rel, address in [
        ("sendgrid/v8_event_webhook_spamreport_forwarded.eml", "gabriela.sousa@correio-br.example"),
        ("sendgrid/v8_spamreport_json_attachment_base64.eml", "yusuf.arslan@posta-tr.example"),
        ("mailgun/v8_webhook_complained_event_data.eml", "Wiktor.Nowicki@poczta-pl.example"),
        ("postmark/v8_webhook_spam_complaint.eml", "lucia.romero@correo-es.example"),
    ]:
        p = _parse(rel)
        assert p.complaint and not p.bounce and p.recipients == [], rel
        assert p.complaint_recipient == address, rel
        assert p.feedback_type == "abuse"


def test_a_person_saying_gmail_marked_it_as_spam_is_not_a_complaint():
    raw = (
        b"From: Ana <ana@example.net>\r\nTo: news@shop.example.org\r\n"
        b"Subject: Fwd: your mail went to spam\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain\r\n\r\nGmail marked your newsletter as spam, FYI.\r\n\r\n"
        b"From: Shop <news@shop.example.org>\r\nTo: ana@example.net\r\n"
        b"Message-ID: <x.1@shop.example.org>\r\n"
    )
    assert not parse_message(raw, bounce_domains=OURS).complaint


def test_a_base64_encoded_message_rfc822_original_is_decoded():
    p = _parse("arf/v8_rfc822_part_base64_transfer_encoded.eml")
    assert p.complaint_recipient == "sipho.dlamini@fibre-isp.example"
    assert p.original_message_id == "<e8a1.3b7c90d2@shop.example.org>"


def test_postmark_bounces_api_spam_complaint_entry():
    p = _parse("postmark/v8_bounces_api_spam_complaint_list.eml")
    assert p.complaint and not p.bounce
    assert p.complaint_recipient == "niamh.obrien@eir-mail.example"
