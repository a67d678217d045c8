"""Topics endpoints with `translations: {lang: {name, description, consent_text}}`."""

from __future__ import annotations

import pytest

from mailwright.consent.topics import text_of
from mailwright.contacts.models import Topic

pytestmark = pytest.mark.django_db

NEWS = {
    "key": "news",
    "name": "Newsletter",
    "consent_text": "Send me news.",
    "translations": {
        "pl": {"name": "Biuletyn", "consent_text": "Wysyłajcie mi wiadomości."},
        "vi": {"name": "Bản tin", "description": "Tin hàng tháng"},
    },
}


def test_round_trip(api):
    created = api.post("/topics", NEWS)
    assert created.status_code == 201, created.content
    body = created.json()
    pl, vi = body["translations"]["pl"], body["translations"]["vi"]
    assert pl["name"] == "Biuletyn" and pl["consent_text"] == "Wysyłajcie mi wiadomości."
    topic = Topic.objects.get(key="news")
    assert text_of(topic, pl["consent_version"]) == "Wysyłajcie mi wiadomości."
    # No consent text of its own: the Vietnamese pages show (and record) the topic's text.
    assert vi["consent_text"] == "" and vi["consent_version"] == body["consent_version"] == 1
    assert api.get(f"/topics/{topic.id}").json()["translations"] == body["translations"]
    assert api.get("/topics").json()[0]["translations"] == body["translations"]

    put = api.put(
        f"/topics/{topic.id}/translations/es",
        {"name": "Boletín", "consent_text": "Envíenme noticias."},
    )
    assert put.status_code == 200, put.content
    assert text_of(topic, put.json()["consent_version"]) == "Envíenme noticias."
    changed = api.put(
        f"/topics/{topic.id}/translations/pl", {"name": "Biuletyn", "consent_text": "Nowy."}
    )
    assert changed.json()["consent_version"] > pl["consent_version"]
    assert api.delete(f"/topics/{topic.id}/translations/vi").status_code == 204
    again = api.delete(f"/topics/{topic.id}/translations/vi")
    assert again.status_code == 404 and again.json()["error"]["field"] == "language"
    assert sorted(api.get(f"/topics/{topic.id}").json()["translations"]) == ["es", "pl"]


@pytest.mark.parametrize(
    "translations, field",
    [
        ({"de": {"name": "Nachrichten"}}, "translations.de"),
        ({"pl": {"name": ""}}, "translations.pl.name"),
        ({"pl": {"name": "x" * 201}}, "translations.pl.name"),
        ({"pl": {"name": "Biuletyn", "consent_text": "x" * 5001}}, "translations.pl.consent_text"),
        ({"pl": {"name": "Biuletyn", "colour": "red"}}, "translations.pl.colour"),
    ],
)
def test_bad_translations_are_422_and_create_nothing(api, translations, field):
    response = api.post("/topics", {**NEWS, "translations": translations})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["field"] == field
    assert not Topic.objects.exists()


def test_put_refuses_a_language_that_is_not_a_product_language(api):
    topic_id = api.post("/topics", NEWS).json()["id"]
    response = api.put(f"/topics/{topic_id}/translations/fr", {"name": "Lettre"})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "the language must be one of en, pl, tr, es, vi, bg",
        "field": "language",
    }
    assert api.put("/topics/999/translations/pl", {"name": "x"}).status_code == 404
