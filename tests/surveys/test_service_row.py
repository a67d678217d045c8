"""A rating row in a service template (campaigns.service_templates): the links name the
service message, and an answer is tied to the delivery that carried it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import contact_context
from mailwright.campaigns.service_templates import render_service
from mailwright.delivery.models import Delivery
from mailwright.surveys.models import SurveyResponse
from mailwright.transactional.models import Message
from tests.conftest import make_contact
from tests.surveys.helpers import BROWSER_UA, path_of

pytestmark = pytest.mark.django_db


def test_a_service_message_row_records_against_its_delivery():
    person = make_contact("ana@example.com", language="es")
    template = Template.objects.create(
        kind="service",
        key="order-delivered",
        name="Delivered",
        subject="Delivered",
        html='<p>Delivered!</p>{{ survey_row("delivery", scale="nps") }}',
    )
    now = timezone.now()
    delivery = Delivery.objects.create(
        contact=person,
        email=person.email,
        stream="service",
        state="sent",
        next_attempt_at=now,
        created_at=now - timedelta(minutes=3),
        updated_at=now,
        sent_at=now - timedelta(minutes=2),
    )
    message = Message.objects.create(
        template=template,
        template_key="order-delivered",
        to_email=person.email,
        contact=person,
        delivery=delivery,
        created_at=now,
    )
    out = render_service(
        template, language="en", data={}, contact=contact_context(person), message_id=message.id
    )
    links = re.findall(r'href="([^"]+/s/[^"]+)"', out.html)
    assert len(links) == 11
    assert all(link in out.text for link in links)

    # Two minutes after sending, a browser's click counts by itself.
    response = Client(HTTP_USER_AGENT=BROWSER_UA).get(path_of(links[9]))
    assert "¡Gracias por su opinión!" in response.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.delivery_id, answer.survey.scale) == (9, delivery.id, "nps")


def test_a_service_message_to_a_bare_address_has_inert_links():
    template = Template.objects.create(
        kind="service", key="k1", name="K", subject="S", html='{{ survey_row("q") }}'
    )
    out = render_service(
        template, language="en", data={}, contact={"email": "x@example.com"}, message_id=7
    )
    assert out.html.count('href="#"') == 5 and "/s/" not in out.text
