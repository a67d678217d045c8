"""One person, one contact: address keys ignore the case of the local part, and merging two
contacts follows one rule (withdrawal wins, confirmed-with-evidence kept, histories kept)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mailwright.audit.models import AuditEntry
from mailwright.consent import ledger, privacy
from mailwright.consent.merging import MergeError, do_merge, merge_case_variants
from mailwright.consent.models import ConsentEvent, Suppression
from mailwright.consent.suppression import do_suppress, is_erased, is_suppressed
from mailwright.contacts.models import Contact, Subscription, Topic
from mailwright.delivery import policy
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from tests.conftest import ADMIN, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(db):
    return Topic.objects.create(key="offers", name="Offers", consent_text="Send me offers")


def state(contact, topic) -> str | None:
    return (
        Subscription.objects.filter(contact=contact, topic=topic)
        .values_list("state", flat=True)
        .first()
    )


def test_case_variants_are_one_contact_and_the_first_spelling_is_kept(newsletter):
    first = make_contact("Ana.Kowalska@Example.PL", newsletter)
    again = make_contact("ana.kowalska@example.pl", newsletter)
    assert again.pk == first.pk
    assert Contact.objects.count() == 1
    assert Contact.objects.get().email == "Ana.Kowalska@example.pl"  # domain lower-cased only


def test_unsubscribing_one_spelling_covers_the_other(newsletter):
    contact = make_contact("Ana@x.pl", newsletter)
    do_suppress("ana@x.pl", Suppression.Reason.MANUAL, by=ADMIN)
    assert is_suppressed("ANA@x.pl")
    assert not policy.marketing_audience([newsletter.id]).filter(pk=contact.pk).exists()


def test_an_erased_spelling_cannot_come_back_in_another_case(newsletter):
    contact = make_contact("Ana@x.pl", newsletter)
    privacy.erase(contact, by=ADMIN)
    assert is_erased("ana@x.pl")
    assert is_erased("ANA@X.PL")


def test_withdrawal_wins_and_evidence_is_kept(newsletter, offers):
    a = make_contact("a1@example.com", newsletter)  # confirmed, evidence in the ledger
    make_contact("a1@example.com", offers, state="pending")
    b = make_contact("b1@example.com", newsletter, state="pending")
    make_contact("b1@example.com", offers)
    Subscription.objects.filter(contact=b, topic=offers).update(state="unsubscribed")
    merged = do_merge(a, [b], by=ADMIN)
    assert state(merged, newsletter) == "confirmed"  # confirmed with evidence beats pending
    assert state(merged, offers) == "unsubscribed"  # a withdrawal always wins
    assert not Contact.objects.filter(pk=b.pk).exists()


def test_confirmed_without_evidence_gives_way_to_pending(newsletter):
    a = make_contact("c1@example.com")
    Subscription.objects.create(contact=a, topic=newsletter, state="confirmed")  # no ledger
    b = make_contact("c2@example.com", newsletter, state="pending")
    assert state(do_merge(a, [b], by=ADMIN), newsletter) == "pending"


def test_the_most_restrictive_status_wins_and_fields_fill_blanks(newsletter):
    a = make_contact("d1@example.com", newsletter, name="Dana")
    b = make_contact("d2@example.com", newsletter, language="pl")
    Contact.objects.filter(pk=b.pk).update(
        status="complained", tags=["vip"], attributes={"city": "Łódź"}, birthday="1990-05-01"
    )
    merged = do_merge(a, [b], by=ADMIN)
    assert merged.status == "complained"
    assert (merged.name, merged.language, merged.tags) == ("Dana", "pl", ["vip"])
    assert merged.attributes == {"city": "Łódź"}
    assert str(merged.birthday) == "1990-05-01"


def test_both_histories_are_kept_and_the_ledger_still_verifies(newsletter):
    a = make_contact("e1@example.com", newsletter)
    b = make_contact("e2@example.com", newsletter)
    delivery = Delivery.objects.create(
        contact=b,
        email=b.email,
        domain="example.com",
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    Event.objects.create(contact=b, type="opened", data={}, created_at=timezone.now())
    events_before = ConsentEvent.objects.filter(contact=b).count()
    do_merge(a, [b], by=ADMIN)
    delivery.refresh_from_db()
    assert delivery.contact_id == a.pk
    assert Event.objects.filter(contact=a, type="opened").exists()
    assert ConsentEvent.objects.filter(contact=a, contact_ref=b.pk).count() == events_before
    assert ConsentEvent.objects.filter(contact=a, action=f"merged:{b.pk}").exists()
    assert ledger.verify().ok
    entry = AuditEntry.objects.get(action="contact.merge")
    assert entry.before["merged"] == [b.pk]


def test_erased_people_are_not_merged(newsletter):
    a = make_contact("f1@example.com", newsletter)
    b = make_contact("f2@example.com", newsletter)
    privacy.erase(b, by=ADMIN)
    with pytest.raises(MergeError):
        do_merge(a, [b], by=ADMIN)


def test_case_variants_left_by_the_migration_are_merged_after_it(newsletter, offers):
    # The migration gives the key to the oldest contact and leaves its case variants keyless.
    old = make_contact("Zoe@example.com", newsletter)
    young = make_contact("zoe-tmp@example.com", offers)
    Contact.objects.filter(pk=young.pk).update(email="ZOE@example.com", email_key=None)
    lone = make_contact("lone-tmp@example.com")
    Contact.objects.filter(pk=lone.pk).update(email="Lone@example.com", email_key=None)
    assert merge_case_variants() == 1
    assert list(Contact.objects.values_list("email", flat=True).order_by("id")) == [
        "Zoe@example.com",
        "Lone@example.com",
    ]
    assert Contact.objects.get(pk=lone.pk).email_key == "lone@example.com"
    assert state(old, offers) == "confirmed"
