"""The view-online page of a message whose template fails for this person's data shows a
page saying so (in their language), never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from mailwright import tokens
from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.templates import save_template
from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


def test_a_template_failing_for_this_person_shows_a_page_not_a_500(newsletter):
    person = make_contact("ana@example.com", newsletter, attributes={"n": 2}, language="pl")
    tpl = save_template(
        name="Power",
        subject="Hi",
        html="<p>{{ 10 ** contact.attributes.n }}</p><p>{{ unsubscribe_url }}"
        " {{ preferences_url }} {{ organisation.address }}</p>",
    )
    campaign = create_campaign(name="Power", template_id=tpl.id, topic_keys=[newsletter.key])
    sending.start(campaign.id)
    url = f"/v/{tokens.make('view_online', {'c': person.id, 'm': campaign.id})}"
    assert b"<p>100</p>" in Client().get(url).content

    # Their data changes after the checks: 10 ** 100000 breaks the integer limit.
    Contact.objects.filter(pk=person.pk).update(attributes={"n": 100_000})
    response = Client().get(url)
    assert response.status_code == 200
    assert "Tej wiadomości nie można wyświetlić online" in response.content.decode()
