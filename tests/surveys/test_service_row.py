"""A rating row in a service template (campaigns.service_templates): the links name the
service message, and an answer is tied to the delivery that carried it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import contact_context
from mailwright.campaigns.service_templates import render_service
from mailwright.delivery.models import Delivery
from mailwright.surveys.models import SurveyResponse
from mailwright.transactional.models import Message
from tests.conftest import make_contact, run_worker
from tests.surveys.helpers import BROWSER_UA, path_of

pytestmark = pytest.mark.django_db


def test_a_service_message_row_records_against_its_delivery():
    person = make_contact("ana@example.com", language="es")
    template = Template.objects.create(
        kind="service",
        key="order-delivered-test",
        name="Delivered",
        subject="Delivered",
        html='<p>Delivered!</p>{{ survey_row("delivery-nps", scale="nps") }}',
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
        template_key="order-delivered-test",
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


@pytest.mark.django_db(transaction=True)
def test_a_row_in_a_message_sent_through_the_api_records_once_per_person(api, smtp_sink):
    person = make_contact("bob@example.com", language="vi")
    Template.objects.create(
        kind="service",
        key="order-delivered-test",
        name="Delivered",
        subject="Your order arrived",
        html='<p>Your order arrived.</p>{{ survey_row("delivered", question="How was it?") }}',
    )
    body = {"template": "order-delivered-test", "to": {"contact": person.id}, "data": {}}
    headers = {**api.headers, "Idempotency-Key": "order-1-delivered"}
    accepted = Client().post(
        "/api/v1/messages", json.dumps(body), content_type="application/json", headers=headers
    )
    assert accepted.status_code in (200, 201, 202), accepted.content
    assert run_worker(smtp_sink.relay) == 1
    msg = message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    text = msg.get_body(("plain",)).get_content()
    links = re.findall(r"https?://\S+/s/\S+", text)
    assert len(links) == 5

    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    for link in (links[4], links[2]):  # a second click changes the answer
        url = path_of(link)
        page = client.post(url, {"token": url.rsplit("/", 1)[1]}).content.decode()
        assert "Cảm ơn bạn đã góp ý!" in page
    answer = SurveyResponse.objects.get()
    delivery = Message.objects.get().delivery
    assert (answer.score, answer.contact_id, answer.delivery_id) == (3, person.id, delivery.id)
