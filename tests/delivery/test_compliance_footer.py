"""The compliance footer (unsubscribe link, preferences link, postal address) is decided on
what each recipient actually receives, through the real worker and a real SMTP sink: naming
the variables in a comment does not count, and a template that shows them gets no second
footer."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from mailwright.delivery import sending
from tests.conftest import make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "1 Test Street, 00-001 Testville"  # conftest's organisation_address
FOOTER = "You receive this email because you subscribed to it."


def received(sink) -> dict[str, tuple[str, str]]:
    """recipient -> (html, text) of what the sink got."""
    out = {}
    for m in sink.messages:
        msg = message_from_bytes(m.data, policy=policy.default)
        out[m.rcpt_tos[0]] = (
            msg.get_body(("html",)).get_content(),
            msg.get_body(("plain",)).get_content(),
        )
    return out


def links(html: str) -> tuple[list[str], list[str]]:
    hrefs = re.findall(r'href="([^"]+)"', html)
    return [h for h in hrefs if "/u/" in h], [h for h in hrefs if "/p/" in h]


def test_names_in_a_comment_do_not_skip_the_footer(smtp_sink, newsletter):
    make_contact("ana@example.com", newsletter, name="Ana")
    campaign = make_campaign(
        newsletter,
        html="<p>Big sale!</p>{# unsubscribe_url preferences_url organisation.address #}",
    )
    sending.start(campaign.id)
    assert run_worker(smtp_sink.relay) == 1

    html, text = received(smtp_sink)["ana@example.com"]
    unsubscribe, preferences = links(html)
    assert len(unsubscribe) == 1 and len(preferences) == 1
    assert ADDRESS in html and FOOTER in html
    assert unsubscribe[0] in text and preferences[0] in text and ADDRESS in text


def test_a_template_that_shows_them_gets_no_second_footer(smtp_sink, newsletter):
    make_contact("ana@example.com", newsletter, name="Ana")
    campaign = make_campaign(
        newsletter,
        html=(
            "<p>Big sale!</p>"
            '<p><a href="{{ unsubscribe_url }}">Leave</a> · '
            '<a href="{{ preferences_url }}">Choose</a></p>'
            "<p>{{ organisation.address }}</p>"
        ),
    )
    sending.start(campaign.id)
    assert run_worker(smtp_sink.relay) == 1

    html, text = received(smtp_sink)["ana@example.com"]
    unsubscribe, preferences = links(html)
    assert len(unsubscribe) == 1 and len(preferences) == 1
    assert html.count(ADDRESS) == 1 and FOOTER not in html
    assert FOOTER not in text and text.count(unsubscribe[0]) == 1


def test_footer_follows_what_each_recipient_gets(smtp_sink, newsletter):
    """Links shown only to some contacts: the others get the footer."""
    make_contact("vip@example.com", newsletter, attributes={"vip": True})
    make_contact("plain@example.com", newsletter)
    campaign = make_campaign(
        newsletter,
        html=(
            "<p>Hello</p>{% if contact.attributes.vip %}"
            '<a href="{{ unsubscribe_url }}">Leave</a> <a href="{{ preferences_url }}">Choose</a>'
            " {{ organisation.address }}{% endif %}"
        ),
    )
    sending.start(campaign.id)
    assert run_worker(smtp_sink.relay) == 2

    got = received(smtp_sink)
    vip_html, _ = got["vip@example.com"]
    plain_html, plain_text = got["plain@example.com"]
    assert FOOTER not in vip_html and len(links(vip_html)[0]) == 1
    assert FOOTER in plain_html and ADDRESS in plain_html and len(links(plain_html)[0]) == 1
    assert FOOTER in plain_text
