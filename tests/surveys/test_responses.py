"""Survey links from a real sent message: what a GET, a scanner, a person's POST and a
second click record (SPEC §5.4, §7.4, §3.2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mailwright import tokens
from mailwright.audit.models import AuditEntry
from mailwright.contacts.models import Contact
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from mailwright.surveys.models import Survey, SurveyResponse
from tests.conftest import make_contact
from tests.surveys.helpers import BROWSER_UA, SCANNER_UA, path_of, send_survey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(smtp_sink, newsletter):
    make_contact("ana@example.com", newsletter, name="Ana", language="pl")
    return send_survey(smtp_sink, newsletter)["ana@example.com"]


def test_the_message_carries_five_star_links_in_html_and_text(sent):
    assert len(sent["links"]) == 5
    assert len(set(sent["links"])) == 5
    for url in sent["links"]:
        assert url in sent["text"]  # the text part lists the same links
    assert "Rate your delivery" in sent["html"]
    # Saving the template created the survey, with its scale and question.
    survey = Survey.objects.get(key="delivery-feedback")
    assert survey.scale == "stars" and survey.question == {"en": "Rate your delivery"}


def test_a_scanner_fetching_every_link_records_nothing(sent):
    # Even long after sending: the user agent gives the scanner away.
    Delivery.objects.update(sent_at=timezone.now() - timedelta(hours=1))
    client = Client(HTTP_USER_AGENT=SCANNER_UA)
    for url in sent["links"]:
        response = client.get(path_of(url))
        assert response.status_code == 200
        assert client.head(path_of(url)).status_code == 200
    assert SurveyResponse.objects.count() == 0
    assert not Event.objects.filter(type="survey.responded").exists()


def test_a_browser_get_within_seconds_of_sending_shows_the_page_and_does_not_record(sent):
    response = Client(HTTP_USER_AGENT=BROWSER_UA).get(path_of(sent["links"][3]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="score" value="4"' in body and "survey-form" in body  # auto-submits
    assert "Twoja ocena" in body  # the contact's language (Polish)
    assert SurveyResponse.objects.count() == 0


def test_the_post_records_and_a_second_click_changes_the_score(sent):
    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    url = path_of(sent["links"][3])
    response = client.post(url, {"token": url.rsplit("/", 1)[1], "score": "4"})
    assert response.status_code == 200
    assert "Dziękujemy za opinię!" in response.content.decode()
    answer = SurveyResponse.objects.get()
    assert answer.score == 4
    delivery = Delivery.objects.get()
    assert answer.delivery_id == delivery.id
    first_update = answer.updated_at

    # Later they click the second star in the same message: the same row changes.
    url2 = path_of(sent["links"][1])
    client.post(url2, {"token": url2.rsplit("/", 1)[1]})
    answer = SurveyResponse.objects.get()
    assert answer.score == 2 and answer.updated_at > first_update

    events = Event.objects.filter(type="survey.responded").order_by("id")
    assert [e.data["score"] for e in events] == [4, 2]
    assert events[1].data["previous_score"] == 4 and events[1].delivery_id == delivery.id
    assert AuditEntry.objects.filter(action="survey.respond").count() == 2


def test_a_human_click_after_the_scanner_window_records_on_the_get(sent):
    Delivery.objects.update(sent_at=timezone.now() - timedelta(minutes=5))
    response = Client(HTTP_USER_AGENT=BROWSER_UA).get(path_of(sent["links"][4]))
    assert "Dziękujemy za opinię!" in response.content.decode()
    assert SurveyResponse.objects.get().score == 5


def test_a_comment_is_saved_and_the_score_kept(sent):
    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    url = path_of(sent["links"][2])
    token = url.rsplit("/", 1)[1]
    client.post(url, {"token": token})
    response = client.post(url, {"token": token, "score": "3", "comment": "  Late, but fine.  "})
    assert "komentarz został zapisany" in response.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment) == (3, "Late, but fine.")


def test_the_score_is_written_to_the_contact_attribute(sent):
    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    url = path_of(sent["links"][4])
    client.post(url, {"token": url.rsplit("/", 1)[1]})
    contact = Contact.objects.get(email="ana@example.com")
    assert contact.attributes["survey_delivery_feedback"] == 5
    url = path_of(sent["links"][0])
    client.post(url, {"token": url.rsplit("/", 1)[1]})
    contact.refresh_from_db()
    assert contact.attributes["survey_delivery_feedback"] == 1


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        tokens.make("preferences", {"k": "delivery-feedback", "sc": "stars", "s": 5, "c": 1}),
        "TAMPER",
        tokens.make("survey", {"k": "delivery-feedback", "sc": "stars", "s": 9, "c": 1}),
        tokens.make("survey", {"k": "delivery-feedback", "sc": "stars", "s": 5, "c": 99999}),
        "x" * 3000,
    ],
    ids=["garbage", "other-purpose", "tampered", "score-off-scale", "no-such-contact", "long"],
)
def test_bad_tokens_get_a_404_page_for_get_and_post(sent, token):
    if token == "TAMPER":  # a real link with the score changed: the signature no longer fits
        real = sent["links"][0].rsplit("/", 1)[1]
        data, stamp, mac = real.split(":")
        forged = tokens.signing.b64_decode(data.encode()).replace(b'"s":1', b'"s":5')
        token = f"{tokens.signing.b64_encode(forged).decode()}:{stamp}:{mac}"
    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    assert client.get(f"/s/{token}").status_code == 404
    assert client.post(f"/s/{token}", {"token": token, "score": "5"}).status_code == 404
    assert SurveyResponse.objects.count() == 0


def test_a_score_off_the_scale_in_the_form_is_a_400_and_changes_nothing(sent):
    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    url = path_of(sent["links"][2])
    token = url.rsplit("/", 1)[1]
    client.post(url, {"token": token})
    for bad in ("9", "zero", "-1"):
        assert client.post(url, {"token": token, "score": bad}).status_code == 400
    assert SurveyResponse.objects.get().score == 3
