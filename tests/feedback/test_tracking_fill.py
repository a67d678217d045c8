"""Tracking placeholders: links become nonce-bearing placeholders at compile time and `fill`
swaps in each recipient's signed URLs after rendering. The URLs must be exactly those of
click_token/open_token, verify with read_click/read_open, and nothing that merely looks like
a placeholder (contact data) may be touched."""

from __future__ import annotations

import html as html_lib
import re
from email import message_from_bytes, policy

import pytest

from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.models import CampaignLink
from mailwright.campaigns.templates import save_template
from mailwright.delivery import sending, tracked_links
from mailwright.delivery.compose import Composer
from mailwright.delivery.models import Delivery
from mailwright.tokens import BadToken
from tests.conftest import make_contact

BASE = "https://mail.example.com"
AMP_BASE = "https://mail.example.com/a&b"  # '&' must become '&amp;' in HTML only


def nonce() -> str:
    return tracked_links.open_placeholder()[1:-2]


def wrong_nonce() -> str:
    real = nonce()
    return ("1" if real[0] != "1" else "2") + real[1:]


def fakes() -> list[str]:
    """Strings that look like placeholders but are not this process's."""
    n = nonce()
    return [
        "\x1adeadbeefc0\x1a",
        "\x1adeadbeefo\x1a",
        f"\x1a{wrong_nonce()}c0\x1a",
        f"\x1a{wrong_nonce()}o\x1a",
        f"\x1a{n}\x1a",
        f"\x1a{n}cx\x1a",
        f"\x1a{n}c-1\x1a",
        f"\x1a{n}c0",
        f"{n}c0\x1a",
        f"{n}o",
        "\x1a",
        "\x1a\x1a",
        "Zoë \x1a typed this \x1a",
    ]


# --- fill against the token functions ----------------------------------------------------------


@pytest.mark.parametrize(("delivery_id", "campaign_id"), [(1, 1), (0, 0), (987654321, 4242)])
@pytest.mark.parametrize("index", [0, 1, 9, 35, 36, 1000])
def test_filled_click_urls_are_click_tokens_and_verify(settings, delivery_id, campaign_id, index):
    settings.BASE_URL = BASE
    filled = tracked_links.fill(
        f'<a href="{tracked_links.click_placeholder(index)}">x</a>', delivery_id, campaign_id
    )
    token = tracked_links.click_token(delivery_id, campaign_id, index)
    assert filled == f'<a href="{BASE}/t/c/{token}">x</a>'
    assert tracked_links.read_click(token) == (delivery_id, campaign_id, index)
    with pytest.raises(BadToken):
        tracked_links.read_open(token)


@pytest.mark.parametrize(("delivery_id", "campaign_id"), [(1, 1), (0, 0), (987654321, 4242)])
def test_filled_open_url_is_the_open_token_and_verifies(settings, delivery_id, campaign_id):
    settings.BASE_URL = BASE
    filled = tracked_links.fill(
        f'<img src="{tracked_links.open_placeholder()}">', delivery_id, campaign_id
    )
    token = tracked_links.open_token(delivery_id, campaign_id)
    assert filled == f'<img src="{BASE}/t/o/{token}.gif">'
    assert tracked_links.read_open(token) == (delivery_id, campaign_id)
    with pytest.raises(BadToken):
        tracked_links.read_click(token)


def test_fill_is_per_recipient_and_follows_the_secret_key(settings):
    settings.BASE_URL = BASE
    part = f"{tracked_links.click_placeholder(2)} {tracked_links.open_placeholder()}"
    one, two = tracked_links.fill(part, 10, 3), tracked_links.fill(part, 11, 3)
    assert one != two
    assert one == f"{BASE}/t/c/{tracked_links.click_token(10, 3, 2)} {BASE}/t/o/" + (
        f"{tracked_links.open_token(10, 3)}.gif"
    )
    old_token = one.split()[0].rsplit("/", 1)[1]
    settings.SECRET_KEY = "another secret key, long enough for the tracking tests"
    with pytest.raises(BadToken):
        tracked_links.read_click(old_token)
    new_token = tracked_links.fill(part, 10, 3).split()[0].rsplit("/", 1)[1]
    assert new_token == tracked_links.click_token(10, 3, 2) != old_token
    assert tracked_links.read_click(new_token) == (10, 3, 2)


# --- rewrite, then fill ------------------------------------------------------------------------

SAMPLE = (
    "<html><head><style>p{color:red}</style></head><body>"
    '<a href="https://shop.example.com/a?x=1&amp;y=2">A</a>'
    "<a class='b' href='http://shop.example.com/b'>B</a>"
    '<A HREF = "HTTPS://shop.example.com/c" target="_blank">C</A>'
    '<a href=" https://shop.example.com/d ">D</a>'
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a>'
    '<a href="{{ preferences_url }}">Preferences</a>'
    '<a href="https://shop.example.com/p?c={{ contact.id }}">Personal</a>'
    '<a href="mailto:help@example.com">Mail</a>'
    '<a href="/relative/page">Relative</a>'
    '<a href="#top">Top</a>'
    '<a name="anchor">no href</a>'
    "</body></html>"
)
TRACKED = [
    "https://shop.example.com/a?x=1&y=2",
    "http://shop.example.com/b",
    "HTTPS://shop.example.com/c",
    "https://shop.example.com/d",
]
RAW_HREFS = [  # as written in SAMPLE (surrounding blanks are dropped with the URL)
    "https://shop.example.com/a?x=1&amp;y=2",
    "http://shop.example.com/b",
    "HTTPS://shop.example.com/c",
    " https://shop.example.com/d ",
]
UNTOUCHED = [
    'href="{{ unsubscribe_url }}"',
    'href="{{ preferences_url }}"',
    'href="https://shop.example.com/p?c={{ contact.id }}"',
    'href="mailto:help@example.com"',
    'href="/relative/page"',
    'href="#top"',
    '<a name="anchor">',
]


def test_rewrite_then_fill_tracks_every_http_link_and_nothing_else(settings):
    settings.BASE_URL = BASE
    compiled, links = tracked_links.rewrite(SAMPLE, clicks=True, opens=True)
    assert links == TRACKED
    assert compiled.count("\x1a") == 2 * (len(TRACKED) + 1)
    for url in ("shop.example.com/a", "shop.example.com/b", "shop.example.com/c"):
        assert url not in compiled

    filled = tracked_links.fill(compiled, 77, 5)
    assert "\x1a" not in filled
    for snippet in UNTOUCHED:
        assert snippet in filled
    clicks = re.findall(
        r"""href\s*=\s*["']https://mail\.example\.com/t/c/([^"']+)["']""", filled, re.IGNORECASE
    )
    assert [tracked_links.read_click(t) for t in clicks] == [
        (77, 5, i) for i in range(len(TRACKED))
    ]
    assert clicks == [tracked_links.click_token(77, 5, i) for i in range(len(TRACKED))]
    pixels = re.findall(r'<img src="https://mail\.example\.com/t/o/([^"]+)\.gif"', filled)
    assert pixels == [tracked_links.open_token(77, 5)]
    assert filled.count("/t/o/") == 1
    assert filled.index("/t/o/") < filled.lower().index("</body>")
    # the rest of the markup is exactly as it was
    expected = SAMPLE
    for i, raw in enumerate(RAW_HREFS):
        expected = expected.replace(raw, f"{BASE}/t/c/{tracked_links.click_token(77, 5, i)}", 1)
    pixel = (
        f'<img src="{BASE}/t/o/{tracked_links.open_token(77, 5)}.gif" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0">'
    )
    assert filled == expected.replace("</body>", pixel + "</body>")


def test_rewrite_without_a_body_end_still_adds_one_pixel(settings):
    settings.BASE_URL = BASE
    compiled, links = tracked_links.rewrite(
        '<p><a href="https://x.example/">x</a></p>', clicks=True, opens=True
    )
    assert links == ["https://x.example/"]
    filled = tracked_links.fill(compiled, 1, 2)
    pixel = f'<img src="{BASE}/t/o/{tracked_links.open_token(1, 2)}.gif" width="1" height="1"'
    assert filled.count("/t/o/") == 1
    assert filled.startswith(
        f'<p><a href="{BASE}/t/c/{tracked_links.click_token(1, 2, 0)}">x</a></p>'
    )
    assert pixel in filled and filled.endswith(">")


@pytest.mark.parametrize(("clicks", "opens"), [(True, False), (False, True), (False, False)])
def test_rewrite_honours_the_campaign_switches(settings, clicks, opens):
    settings.BASE_URL = BASE
    compiled, links = tracked_links.rewrite(SAMPLE, clicks=clicks, opens=opens)
    filled = tracked_links.fill(compiled, 1, 2)
    assert (links == TRACKED) is clicks
    assert ("/t/c/" in filled) is clicks
    assert filled.count("/t/o/") == (1 if opens else 0)
    if not clicks:
        assert 'href="https://shop.example.com/a?x=1&amp;y=2"' in filled


# --- look-alikes -------------------------------------------------------------------------------


def test_strings_that_only_look_like_placeholders_are_left_alone(settings):
    settings.BASE_URL = BASE
    for fake in fakes():
        assert tracked_links.fill(fake, 1, 2) == fake
        assert tracked_links.fill(fake, 1, 2, html=False) == fake
        text = f"<p>Hello {fake}</p>"
        assert tracked_links.fill(text, 1, 2) == text


def test_look_alikes_next_to_real_placeholders_survive_verbatim(settings):
    settings.BASE_URL = BASE
    junk = " | ".join(fakes())  # joined bare, pieces holding the real nonce would form one
    part = (
        f"{junk}{tracked_links.click_placeholder(0)}{junk}\x1a{tracked_links.click_placeholder(1)}\x1a"
        f"{tracked_links.open_placeholder()}{junk}"
    )
    filled = tracked_links.fill(part, 3, 4)
    c0 = f"{BASE}/t/c/{tracked_links.click_token(3, 4, 0)}"
    c1 = f"{BASE}/t/c/{tracked_links.click_token(3, 4, 1)}"
    o = f"{BASE}/t/o/{tracked_links.open_token(3, 4)}.gif"
    assert filled == f"{junk}{c0}{junk}\x1a{c1}\x1a{o}{junk}"


def test_text_without_placeholders_is_returned_as_is(settings):
    settings.BASE_URL = BASE
    text = "plain text, no markers at all"
    assert tracked_links.fill(text, 1, 2) is text


# --- escaping of the base URL ------------------------------------------------------------------


def test_base_url_is_html_escaped_only_in_html(settings):
    settings.BASE_URL = AMP_BASE
    part = f"{tracked_links.click_placeholder(0)} {tracked_links.open_placeholder()}"
    token, pixel = tracked_links.click_token(5, 6, 0), tracked_links.open_token(5, 6)

    as_html = tracked_links.fill(part, 5, 6)
    assert as_html == (
        f"https://mail.example.com/a&amp;b/t/c/{token} "
        f"https://mail.example.com/a&amp;b/t/o/{pixel}.gif"
    )
    as_text = tracked_links.fill(part, 5, 6, html=False)
    assert as_text == f"{AMP_BASE}/t/c/{token} {AMP_BASE}/t/o/{pixel}.gif"
    assert html_lib.unescape(as_html) == as_text


def test_base_url_with_quotes_cannot_break_out_of_the_attribute(settings):
    settings.BASE_URL = 'https://mail.example.com/"><script>'
    filled = tracked_links.fill(f'<a href="{tracked_links.click_placeholder(0)}">x</a>', 1, 1)
    assert "<script>" not in filled and '"><' not in filled


# --- end to end through the composer -----------------------------------------------------------

E2E_HTML = (
    "<html><head><style>a{color:#c00}</style></head><body>"
    "<h1>Hi {{ contact.name }}</h1>"
    "<p>{{ contact.first_name }}, our news.</p>"
    '<p><a href="https://shop.example.com/a?x=1&amp;y=2">Shop A</a></p>'
    "<p><a href='https://shop.example.com/b'>Shop B</a></p>"
    '<p><a href="https://shop.example.com/c#frag">Shop C</a></p>'
    '<p><a href="mailto:help@example.com">Mail us</a> '
    '<a href="/relative">Relative</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> '
    '<a href="{{ preferences_url }}">Preferences</a></p>'
    "<p>{{ organisation.address }}</p></body></html>"
)
E2E_LINKS = [
    "https://shop.example.com/a?x=1&y=2",
    "https://shop.example.com/b",
    "https://shop.example.com/c#frag",
]


def tricky_name() -> str:
    return (
        f"Zoë\x1adeadbeefc0\x1a \x1a{wrong_nonce()}c1\x1a Smith \x1a{nonce()}x\x1a "
        "\x1adeadbeefo\x1a"
    )


def sent_messages(newsletter) -> tuple[list[Delivery], dict]:
    make_contact("zoe@example.com", newsletter, name=tricky_name())
    make_contact("plain@example.com", newsletter, name="Pat Plain")
    tpl = save_template(
        name="tracked fill", subject="News for {{ contact.first_name }}", html=E2E_HTML
    )
    campaign = create_campaign(name="tracked fill", template_id=tpl.id, topic_keys=["newsletter"])
    sending.start(campaign.id)
    composer = Composer()
    deliveries = list(
        Delivery.objects.filter(campaign=campaign)
        .select_related("campaign__template", "contact")
        .order_by("email")
    )
    assert [d.email for d in deliveries] == ["plain@example.com", "zoe@example.com"]
    parsed = {}
    for d in deliveries:
        composer.compiled(d.campaign)  # the engine compiles (and stores links) beforehand
        _message_id, data = composer.compose(d)
        parsed[d.email] = message_from_bytes(data, policy=policy.default)
    return deliveries, parsed


@pytest.mark.django_db
@pytest.mark.parametrize("base", [BASE, AMP_BASE])
def test_composed_mail_carries_verified_tracking_urls_for_its_own_delivery(
    settings, newsletter, base
):
    settings.BASE_URL = base
    deliveries, parsed = sent_messages(newsletter)
    campaign_id = deliveries[0].campaign_id
    stored = dict(CampaignLink.objects.filter(campaign_id=campaign_id).values_list("index", "url"))
    assert stored == dict(enumerate(E2E_LINKS))
    name = tricky_name()

    for d in deliveries:
        msg = parsed[d.email]
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()

        hrefs = [html_lib.unescape(h) for h in re.findall(r"""href=["']([^"']*)["']""", html)]
        tracked = [h for h in hrefs if "/t/c/" in h]
        assert len(tracked) == len(E2E_LINKS)
        seen = []
        for href in tracked:
            assert href.startswith(f"{base}/t/c/")
            delivery_id, cid, index = tracked_links.read_click(href.rsplit("/", 1)[1])
            assert (delivery_id, cid) == (d.id, campaign_id)
            seen.append(stored[index])
        assert seen == E2E_LINKS
        assert "mailto:help@example.com" in hrefs and "/relative" in hrefs
        assert any(f"{base}/u/" in h for h in hrefs) and any(f"{base}/p/" in h for h in hrefs)
        assert not any(h.startswith("https://shop.example.com") for h in hrefs)

        pixels = re.findall(r'<img src="([^"]+)"', html)
        assert len(pixels) == 1
        pixel = html_lib.unescape(pixels[0])
        assert pixel.startswith(f"{base}/t/o/") and pixel.endswith(".gif")
        assert tracked_links.read_open(pixel.rsplit("/", 1)[1][: -len(".gif")]) == (
            d.id,
            campaign_id,
        )

        # the text part is made from the HTML: the same tracked links, raw base URL
        text_clicks = re.findall(rf"\(({re.escape(base)}/t/c/[^)\s]+)\)", text)
        assert [tracked_links.read_click(u.rsplit("/", 1)[1]) for u in text_clicks] == [
            (d.id, campaign_id, i) for i in range(len(E2E_LINKS))
        ]
        assert "&amp;" not in text
        assert "shop.example.com" not in text and "/t/o/" not in text

        # no placeholder is left anywhere; the contact's own text is there verbatim
        for part in (html, text):
            assert nonce() + "c" not in part.replace(name, "")
            assert nonce() + "o" not in part.replace(name, "")
        if d.email == "zoe@example.com":
            assert name in text
            assert html_lib.escape(name) in html
            assert "\x1a" not in text.replace(name, "").replace(name.split()[0], "")
            assert "\x1a" not in html.replace(html_lib.escape(name), "").replace(
                html_lib.escape(name.split()[0]), ""
            )
        else:
            assert "\x1a" not in text and "\x1a" not in html
