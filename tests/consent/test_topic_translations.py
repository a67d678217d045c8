"""Topic names, descriptions and consent texts per language: the public pages show them in
the page's language (falling back to the topic's own words), and the consent ledger records
the version of the exact words the person saw, in their language."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mailwright import tokens
from mailwright.audit.actors import Actor
from mailwright.audit.models import AuditEntry
from mailwright.consent.models import ConsentEvent
from mailwright.consent.topic_translations import (
    do_delete_topic_translation,
    do_save_topic_translation,
    localize_one,
)
from mailwright.consent.topics import TopicError, create_topic, text_of, update_topic
from mailwright.contacts.models import Subscription
from mailwright.delivery.models import Delivery
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db

STAFF = Actor(channel="admin", actor="ana", kind="user", ref="1")
PL_TEXT = "Chcę otrzymywać miesięczny newsletter."
ES_TEXT = "Quiero recibir el boletín mensual."


@pytest.fixture
def news(db):
    topic = create_topic(
        key="news",
        name="Newsletter",
        description="Our monthly news",
        consent_text="Send me the monthly newsletter.",
    )
    do_save_topic_translation(
        topic, "pl", "Biuletyn", "Nasze miesięczne wiadomości", PL_TEXT, by=STAFF
    )
    do_save_topic_translation(topic, "es", "Boletín", "Noticias del mes", ES_TEXT, by=STAFF)
    topic.refresh_from_db()
    return topic


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_polish_contacts_preference_center_is_in_polish_and_records_the_polish_text(news):
    contact = make_contact("ola@example.com", language="pl")
    url = f"/p/{tokens.make('preferences', {'c': contact.id})}"
    html = page(Client().get(url))
    assert "Biuletyn" in html and PL_TEXT in html and "Nasze miesięczne wiadomości" in html
    assert "Newsletter" not in html and "Send me the monthly newsletter." not in html
    Client().post(url, {"topic": ["news"], "frequency": "every", "language": "pl"})
    event = ConsentEvent.objects.get(action="subscribe_confirmed", email="ola@example.com")
    assert text_of(news, event.text_version) == PL_TEXT


def test_the_spanish_form_records_the_spanish_consent_text_through_double_opt_in(news):
    client = Client()
    html = page(client.get("/subscribe/?lang=es"))
    assert "Boletín" in html and ES_TEXT in html and "Send me the monthly" not in html
    shown = re.search(r'name="v_news" value="(\d+)"', html).group(1)
    client.post(
        "/subscribe/",
        {"email": "eva@example.com", "topic": ["news"], "v_news": shown, "language": "es"},
    )
    pending = ConsentEvent.objects.get(action="subscribe_pending")
    assert pending.text_version == int(shown) != news.consent_version
    assert text_of(news, pending.text_version) == ES_TEXT
    # The confirmation email and page are in Spanish too, and confirming records the same words.
    [mail] = Delivery.objects.filter(stream="service", content__kind="optin")
    assert "Boletín" in mail.content["text"] and ES_TEXT in mail.content["text"]
    link = re.search(r"(/confirm/[^\s\"<]+)", mail.content["text"]).group(1)
    assert ES_TEXT in page(client.get(link))
    client.post(link)
    confirmed = ConsentEvent.objects.get(action="subscribe_confirmed")
    assert text_of(news, confirmed.text_version) == ES_TEXT
    assert Subscription.objects.get(contact__email="eva@example.com").state == "confirmed"


def test_the_json_form_without_versions_records_the_text_of_its_language(news, client):
    response = client.post(
        "/subscribe/json",
        {"email": "ewa@example.com", "topics": ["news"], "language": "pl"},
        content_type="application/json",
    )
    assert response.status_code == 202
    event = ConsentEvent.objects.get(action="subscribe_pending")
    assert text_of(news, event.text_version) == PL_TEXT


def test_untranslated_languages_and_empty_fields_fall_back_to_the_topics_own_words(news):
    html = page(Client().get("/subscribe/?lang=tr"))
    assert "Newsletter" in html and "Send me the monthly newsletter." in html
    do_save_topic_translation(news, "bg", "Бюлетин", "", "", by=STAFF)
    shown = localize_one(news, "bg")
    assert (shown.name, shown.description, shown.consent_text) == (
        "Бюлетин",
        "Our monthly news",
        "Send me the monthly newsletter.",
    )
    assert shown.consent_version == news.consent_version
    # The unsubscribe page names what a Bulgarian subscriber receives, in Bulgarian.
    contact = make_contact("bo@example.com", news, language="bg")
    html = page(Client().get(f"/u/{tokens.make('unsubscribe', {'c': contact.id})}"))
    assert "Бюлетин" in html


def test_a_changed_translation_is_a_new_version_and_earlier_consents_keep_their_words(news):
    first = localize_one(news, "es").consent_version
    make_contact("old@example.com", news, language="es")
    Client().post(
        "/subscribe/",
        {"email": "eva@example.com", "topic": ["news"], "v_news": str(first), "language": "es"},
    )
    do_save_topic_translation(news, "es", "Boletín", "", "Nuevo texto.", by=STAFF)
    second = localize_one(news, "es")
    assert second.consent_version > first and second.consent_text == "Nuevo texto."
    event = ConsentEvent.objects.get(action="subscribe_pending")
    assert text_of(news, event.text_version) == ES_TEXT  # what Eva saw, still provable
    # Saving the same words again makes no version; the topic's own text gets a fresh number.
    do_save_topic_translation(news, "es", "Boletín 2", "", "Nuevo texto.", by=STAFF)
    assert localize_one(news, "es").consent_version == second.consent_version
    topic = update_topic(news, name="Newsletter", description="", consent_text="New English.")
    assert topic.consent_version > second.consent_version
    assert text_of(topic, topic.consent_version) == "New English."
    assert text_of(topic, second.consent_version) == "Nuevo texto."


def test_saving_and_removing_are_audited_and_bad_input_is_refused(news):
    actions = list(
        AuditEntry.objects.filter(object_type="topic", object_id=str(news.pk)).values_list(
            "action", "actor", flat=False
        )
    )
    assert actions.count(("topic.translation_saved", "ana")) == 2
    assert do_delete_topic_translation(news, "pl", by=STAFF) is True
    assert do_delete_topic_translation(news, "pl", by=STAFF) is False
    assert AuditEntry.objects.filter(action="topic.translation_deleted").count() == 1
    assert localize_one(news, "pl").name == "Newsletter"
    for language, name, text, field in [
        ("de", "Newsletter", "", "language"),
        ("pl", " ", "", "name"),
        ("pl", "x" * 201, "", "name"),
        ("pl", "Biuletyn", "x" * 5001, "consent_text"),
    ]:
        with pytest.raises(TopicError) as refused:
            do_save_topic_translation(news, language, name, "", text, by=STAFF)
        assert refused.value.field == field
    assert not news.translations.filter(language__in=["de", "pl"]).exists()
