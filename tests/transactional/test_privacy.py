"""A person's service messages and survey answers are theirs: exported with everything else,
erased with them (also mail sent to the address before it was a contact), merged with them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mailwright.consent import privacy
from mailwright.consent.merging import do_merge
from mailwright.delivery.models import Delivery
from mailwright.surveys.models import Survey, SurveyResponse
from mailwright.transactional.models import Message
from tests.conftest import ADMIN, make_contact

pytestmark = pytest.mark.django_db


def _message(email: str, contact=None, **data) -> Message:
    now = timezone.now()
    delivery = Delivery.objects.create(
        contact=contact,
        email=email,
        domain=email.rpartition("@")[2],
        stream=Delivery.Stream.SERVICE,
        content={"subject": "Your order", "html": "<p>order 123</p>", "text": "order 123"},
        state=Delivery.State.SENT,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    return Message.objects.create(
        template_key="order-confirmation",
        to_email=email,
        contact=contact,
        data=data or {"order_number": "123"},
        delivery=delivery,
        created_at=now,
    )


def _response(survey, contact, score, when=None):
    when = when or timezone.now()
    return SurveyResponse.objects.create(
        survey=survey,
        contact=contact,
        score=score,
        comment="slow",
        created_at=when,
        updated_at=when,
    )


def test_export_lists_the_persons_messages_and_survey_answers(newsletter):
    ana = make_contact("ana@example.pl", newsletter)
    _message("ana@example.pl", ana, order_number="A-77")
    survey = Survey.objects.create(key="delivery-test", name="Delivery")
    _response(survey, ana, 4)
    data = privacy.export(ana, by=ADMIN)
    assert [m["data"] for m in data["messages"]] == [{"order_number": "A-77"}]
    assert data["survey_responses"][0] | {"at": None} == {
        "survey": "delivery-test",
        "score": 4,
        "comment": "slow",
        "at": None,
    }


def test_erasure_removes_messages_data_also_those_sent_before_the_address_was_a_contact(
    newsletter,
):
    before = _message("Ana@Example.pl", None, order_number="OLD-1")  # sent by address only
    ana = make_contact("ana@example.pl", newsletter)
    mine = _message("ana@example.pl", ana)
    other = _message("bob@example.pl", None)
    survey = Survey.objects.create(key="delivery-test", name="Delivery")
    _response(survey, ana, 2)
    privacy.erase(ana, by=ADMIN)
    for msg in (before, mine):
        msg.refresh_from_db()
        msg.delivery.refresh_from_db()
        assert msg.data == {} and "ana" not in msg.to_email.lower()
        assert msg.delivery.content is None and "ana" not in msg.delivery.email.lower()
    other.refresh_from_db()
    assert other.to_email == "bob@example.pl" and other.data
    assert not SurveyResponse.objects.exists()


def test_merge_moves_messages_and_keeps_the_latest_answer_per_survey(newsletter):
    ana = make_contact("ana@example.pl", newsletter)
    dup = make_contact("ana.k@example.pl", newsletter)
    msg = _message("ana.k@example.pl", dup)
    survey = Survey.objects.create(key="delivery-test", name="Delivery")
    other = Survey.objects.create(key="support", name="Support")
    old = timezone.now() - timezone.timedelta(days=2)
    _response(survey, ana, 2, when=old)
    _response(survey, dup, 5)  # the later answer wins
    _response(other, dup, 3)
    do_merge(ana, [dup], by=ADMIN)
    msg.refresh_from_db()
    assert msg.contact_id == ana.id
    assert sorted(
        SurveyResponse.objects.filter(contact=ana).values_list("survey__key", "score")
    ) == [("delivery-test", 5), ("support", 3)]
