"""Shared by the survey tests: a campaign with a rating row, sent through the real worker to
a real SMTP sink, and the survey links read back from the message that arrived."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from mailwright.delivery import sending
from tests.conftest import make_campaign, run_worker

ROW_HTML = (
    "<p>How did we do?</p>"
    '{{ survey_row("delivery-feedback", scale="SCALE", question="Rate your delivery") }}'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> <a href="{{ preferences_url }}">P</a>'
    " {{ organisation.address }}</p>"
)
SCANNER_UA = "Mozilla/5.0 (compatible; Barracuda Sentinel link protection)"
BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)


def send_survey(sink, topic, scale: str = "stars") -> dict[str, dict]:
    """Send a campaign with the rating row; recipient -> {"html", "text", "links"} where
    links are the /s/ URLs of the HTML part in order (score low to high)."""
    campaign = make_campaign(topic, html=ROW_HTML.replace("SCALE", scale))
    sending.start(campaign.id)
    run_worker(sink.relay)
    out = {}
    for m in sink.messages:
        msg = message_from_bytes(m.data, policy=policy.default)
        html = msg.get_body(("html",)).get_content()
        out[m.rcpt_tos[0]] = {
            "html": html,
            "text": msg.get_body(("plain",)).get_content(),
            "links": re.findall(r'href="(https?://[^"]+/s/[^"]+)"', html),
        }
    return out


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]
