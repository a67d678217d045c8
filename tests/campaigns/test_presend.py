"""The pre-send personalization check (campaigns/presend.py): the template is rendered,
strictly, for one contact of every shape of data in the campaign's own audience, and a
failure names the contact, the part, the line and the column."""

from __future__ import annotations

import email
import email.policy

import pytest

from mailwright.campaigns import presend
from mailwright.campaigns.models import Campaign, Template
from mailwright.campaigns.rendering import TemplateError
from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from tests.api.util import assert_error, subscribe
from tests.conftest import make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db

FOOTER = '<p><a href="{{ unsubscribe_url }}">u</a> <a href="{{ preferences_url }}">p</a></p>'


def campaign_with(newsletter, html: str, subject: str = "Hello") -> Campaign:
    campaign = make_campaign(newsletter, subject=subject, html=html + FOOTER)
    return campaign


def test_missing_attribute_fails_the_check_naming_contact_line_and_column(newsletter):
    for i in range(30):
        make_contact(f"pro{i}@example.com", newsletter, attributes={"plan": "pro"})
    odd = make_contact("noplan@example.com", newsletter, name="No Plan")
    line2 = "<p>Your plan: {{ contact.attributes.plan }}</p>"
    campaign = campaign_with(newsletter, "<p>Hi</p>\n" + line2)
    with pytest.raises(TemplateError) as caught:
        sending.start(campaign.id)
    message = str(caught.value)
    assert message.startswith(f"contact {odd.id} <noplan@example.com>: html, line 2, column 37:")
    assert "contact.attributes has no 'plan'" in message and "|default" in message
    assert line2[36:40] == "plan"  # column 37 (1-based) is where the missing name stands
    assert Campaign.objects.get(pk=campaign.id).state == Campaign.State.DRAFT
    assert not Delivery.objects.exists()  # nothing was frozen


@pytest.mark.parametrize(
    "html",
    [
        "<p>{{ contact.attributes.plan|default('free') }}</p>",
        "{% if contact.attributes.plan %}<p>{{ contact.attributes.plan }}</p>{% endif %}",
        "{% if contact.attributes.plan == 'pro' %}<p>Pro</p>{% endif %}",
        "<p>{{ contact.attributes.get('plan', 'free') }}</p>",
    ],
    ids=["default", "if", "compare", "get"],
)
def test_guarded_attributes_pass_the_check(newsletter, html):
    make_contact("pro@example.com", newsletter, attributes={"plan": "pro"})
    make_contact("none@example.com", newsletter)
    campaign = campaign_with(newsletter, html)
    assert sending.start(campaign.id).state == Campaign.State.SENDING


@pytest.mark.django_db(transaction=True)
def test_send_stays_lenient_for_data_that_changed_after_the_check(newsletter, smtp_sink):
    """The check passed for everyone there was; a contact whose `plan` went away after it
    (data is not frozen) still gets the message, with '' where the plan was."""
    make_contact("pro@example.com", newsletter, attributes={"plan": "pro"})
    later = make_contact("later@example.com", newsletter, attributes={"plan": "basic"})
    campaign = campaign_with(newsletter, "<p>Plan: [{{ contact.attributes.plan }}]</p>")
    sending.start(campaign.id)
    Contact.objects.filter(pk=later.pk).update(attributes={})
    assert run_worker(smtp_sink.relay) == 2
    bodies = {m.rcpt_tos[0]: decoded_html(m.data) for m in smtp_sink.messages}
    assert "Plan: [pro]" in bodies["pro@example.com"]
    assert "Plan: []" in bodies["later@example.com"]


def decoded_html(data: bytes) -> str:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    return msg.get_body(("html",)).get_content()


def test_every_shape_is_rendered_not_a_sample(newsletter):
    """The old check looked at the 200 most recent contacts: the odd one came first."""
    odd = make_contact("first@example.com", newsletter, attributes={"score": "high"})
    Contact.objects.bulk_create(
        Contact(email=f"n{i}@example.com", attributes={"score": i + 1}) for i in range(300)
    )
    from mailwright.contacts.models import Subscription

    Subscription.objects.bulk_create(
        Subscription(contact=c, topic=newsletter, state="confirmed", basis="web form")
        for c in Contact.objects.exclude(pk=odd.pk)
    )
    tpl = Template.objects.create(
        name="T", subject="S", html="<p>\n  {{ contact.attributes.score + 1 }}</p>" + FOOTER
    )
    with pytest.raises(presend.PresendError) as caught:
        presend.check_audience(tpl, Contact.objects.all())
    assert caught.value.contact_id == odd.id
    assert "html, line 2, column 6: TypeError" in str(caught.value)
    tpl.html = "<p>{{ contact.attributes.score|default(0) }}</p>"
    result = presend.check_audience(tpl, Contact.objects.all())
    assert (result.contacts, result.rendered, result.capped) == (301, 2, False)  # str, int


def test_the_number_of_renders_is_capped_and_says_so(newsletter, monkeypatch):
    monkeypatch.setattr(presend, "MAX_SHAPES", 5)
    for i in range(8):
        make_contact(f"c{i}@example.com", newsletter, attributes={f"k{i}": "x"})
    tpl = Template.objects.create(name="T", subject="S", html="<p>hi</p>")
    result = presend.check_audience(tpl, Contact.objects.all())
    assert (result.rendered, result.shapes, result.capped) == (5, 8, True)
    assert "capped at 5 shapes of 8" in result.summary()


def test_typo_in_a_variable_name_fails_at_save(api):
    response = api.post(
        "/templates", {"name": "T", "subject": "Hi", "html": "<p>\n  Hello {{ contcat.name }}</p>"}
    )
    error = assert_error(response, 422, "template_error", "html")
    assert error["message"].startswith("html, line 2, column 12: 'contcat' is not a template")
    response = api.post(
        "/templates", {"name": "T", "subject": "Hi {{ contact.nmae }}", "html": "<p>x</p>"}
    )
    assert "'dict object' has no attribute 'nmae'" in assert_error(response, 422)["message"]
    # a missing contact attribute is not a typo: contacts differ
    ok = api.post(
        "/templates", {"name": "T", "subject": "{{ contact.attributes.plan }}", "html": "x"}
    )
    assert ok.status_code == 201, ok.content


def test_api_send_refuses_with_the_contact_named(api, newsletter):
    api.post("/contacts", {"email": "ana@example.com", "subscriptions": [subscribe()]})
    tid = api.post(
        "/templates",
        {"name": "T", "subject": "Your {{ contact.attributes.plan }} plan", "html": "<p>x</p>"},
    ).json()["id"]
    cid = api.post("/campaigns", {"name": "C", "template": tid, "topics": ["newsletter"]}).json()[
        "id"
    ]
    error = assert_error(api.post(f"/campaigns/{cid}/send"), 422, "template_error", "subject")
    ana = Contact.objects.get(email="ana@example.com")
    assert error["message"].startswith(f"contact {ana.id} <ana@example.com>: subject, line 1")
