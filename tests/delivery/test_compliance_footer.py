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


def test_an_unsubscribe_link_inside_an_html_comment_does_not_count(db):
    """Mail clients do not show comments: a link written inside one is removed when the
    campaign is compiled, so the footer is added; Outlook's conditional comments stay."""
    from mailwright.campaigns.inlining import strip_comments

    html = (
        "<p>Hi</p><!-- <a href='{{ unsubscribe_url }}'>x</a> -->"
        "<!--[if mso]><table><tr><td><![endif]--><p>body</p><!--[if mso]></td></tr>"
        "</table><![endif]--><!--[if !mso]><!--><div>modern</div><!--<![endif]-->"
        "<!-- {% if contact.name %} -->named<!-- {% endif %} -->"
    )
    out = strip_comments(html)
    assert "unsubscribe_url" not in out
    assert "<!--[if mso]><table>" in out and "<!--[if !mso]><!-->" in out
    assert "<!--<![endif]-->" in out and "{% if contact.name %}" in out


def test_links_inside_an_html_comment_get_the_footer_in_the_sent_message(smtp_sink, newsletter):
    make_contact("ana@example.com", newsletter, name="Ana")
    campaign = make_campaign(
        newsletter,
        html=(
            '<p>Big sale!</p><!-- <a href="{{ unsubscribe_url }}">Leave</a>'
            ' <a href="{{ preferences_url }}">Choose</a> {{ organisation.address }} -->'
        ),
    )
    sending.start(campaign.id)
    assert run_worker(smtp_sink.relay) == 1

    html, _text = received(smtp_sink)["ana@example.com"]
    unsubscribe, preferences = links(html)
    assert len(unsubscribe) == 1 and len(preferences) == 1  # the footer's, shown
    assert FOOTER in html and "<!--" not in html
