"""The contact list: filters, bulk actions through the confirmation step (Django test client
with CSRF enforced, as a browser), the streamed CSV export and what deleting someone who said
no does."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mailwright.audit.models import AuditEntry
from mailwright.consent import actions as consent_actions
from mailwright.consent import directory
from mailwright.consent.models import ConsentEvent, Suppression
from mailwright.consent.suppression import is_suppressed
from mailwright.contacts.models import Contact, Subscription, Topic
from mailwright.feedback.models import Event
from tests.conftest import ADMIN, declare, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


@pytest.fixture
def offers(db):
    return Topic.objects.create(key="offers", name="Offers")


@pytest.fixture
def people(newsletter, offers):
    """ana: confirmed on newsletter, tagged vip, Polish; bob: pending on newsletter; cy: no
    subscription, added 40 days ago; dee: unsubscribed from everything."""
    ana = make_contact("ana@example.com", newsletter, name="Ana Nowak", language="pl")
    Contact.objects.filter(pk=ana.pk).update(tags=["vip"])
    bob = make_contact("bob@example.com", newsletter, state="pending", name="Bob")
    cy = make_contact("cy@example.org", name="Cy")
    Contact.objects.filter(pk=cy.pk).update(created_at=timezone.now() - timedelta(days=40))
    dee = make_contact("dee@example.com", offers, name="Dee")
    consent_actions.do_unsubscribe(dee, by=ADMIN)
    return {c.email.split("@")[0]: Contact.objects.get(pk=c.pk) for c in (ana, bob, cy, dee)}


def shown(response) -> list[str]:
    return re.findall(r'<tr data-email="([^"]+)"', response.content.decode())


def token(client) -> str:
    page = client.get("/contacts/").content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def bulk(client, **fields):
    """Post the bulk form; then, if a confirmation page came back, press its button."""
    data = {"csrfmiddlewaretoken": token(client), **fields}
    first = client.post("/contacts/bulk/", data)
    if first.status_code != 200:
        return first, None
    page = first.content.decode()
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    confirm = {}
    for name, value in hidden:
        confirm.setdefault(name, []).append(value.replace("&#x27;", "'").replace("&amp;", "&"))
    return first, client.post("/contacts/bulk/", confirm, follow=True)


def test_filters(staff, people):
    assert set(shown(staff.get("/contacts/"))) == {
        "ana@example.com",
        "bob@example.com",
        "cy@example.org",
        "dee@example.com",
    }
    assert shown(staff.get("/contacts/?q=NOWAK")) == ["ana@example.com"]
    assert shown(staff.get("/contacts/?status=unsubscribed")) == ["dee@example.com"]
    assert shown(staff.get("/contacts/?topic=newsletter&state=pending")) == ["bob@example.com"]
    assert set(shown(staff.get("/contacts/?topic=newsletter"))) == {
        "ana@example.com",
        "bob@example.com",
    }
    assert set(shown(staff.get("/contacts/?topic=newsletter&state=none"))) == {
        "cy@example.org",
        "dee@example.com",
    }
    assert shown(staff.get("/contacts/?state=unsubscribed")) == ["dee@example.com"]
    assert shown(staff.get("/contacts/?tag=vip")) == ["ana@example.com"]
    assert shown(staff.get("/contacts/?tag=vi")) == []  # a tag matches exactly
    assert shown(staff.get("/contacts/?language=pl")) == ["ana@example.com"]
    old = (timezone.now() - timedelta(days=20)).date().isoformat()
    assert shown(staff.get(f"/contacts/?created_before={old}")) == ["cy@example.org"]
    assert "cy@example.org" not in shown(staff.get(f"/contacts/?created_after={old}"))
    page = staff.get("/contacts/?topic=newsletter").content.decode()
    assert "newsletter: confirmed" in page and "newsletter: pending" in page
    assert '<span class="tag">vip</span>' in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("status=gone", "status: must be one of"),
        ("topic=nope", "topic: unknown topic"),
        ("state=none", "“none” (not subscribed) needs a topic"),
        ("created_after=31.12.2020", "created_after: expected a date as YYYY-MM-DD"),
        ("tag=" + "x" * 70, "tag: a tag is at most 64 characters"),
    ],
)
def test_bad_filters_are_a_clear_400(staff, people, query, message):
    response = staff.get(f"/contacts/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert shown(response) == []


def test_add_tag_to_two_selected_rows(staff, people, admin_user):
    ids = [people["bob"].pk, people["cy"].pk]
    first, done = bulk(staff, action="add_tag", scope="selected", ids=ids, bulk_tag=" fair-2026 ")
    assert "Add the tag “fair-2026” to 2 contacts." in first.content.decode()
    assert done.status_code == 200
    assert "Add a tag: 2 contacts changed." in done.content.decode()
    assert shown(staff.get("/contacts/?tag=fair-2026")) == ["cy@example.org", "bob@example.com"]
    assert Contact.objects.get(pk=people["ana"].pk).tags == ["vip"]
    entry = AuditEntry.objects.get(action="contact.bulk_add_tag")
    assert entry.actor == admin_user.get_username()
    assert (entry.after["changed"], entry.after["tag"]) == (2, "fair-2026")
    assert entry.after["ids"] == [[ids[0], ids[1]]]  # runs of consecutive ids


def test_remove_tag_from_all_matching_the_filter(staff, people):
    Contact.objects.update(tags=["old"])
    Contact.objects.filter(pk__in=[people["ana"].pk, people["cy"].pk]).update(tags=["vip", "old"])
    first, done = bulk(staff, action="remove_tag", scope="all", tag="vip", bulk_tag="old")
    assert "Remove the tag “old” from 2 contacts." in first.content.decode()
    assert "Remove a tag: 2 contacts changed." in done.content.decode()
    tags = dict(Contact.objects.values_list("email", "tags"))
    assert tags == {
        "ana@example.com": ["vip"],
        "cy@example.org": ["vip"],
        "bob@example.com": ["old"],
        "dee@example.com": ["old"],
    }
    # the filter came back with the redirect
    assert done.redirect_chain[-1][0] == "/contacts/?tag=vip"


def test_the_confirmation_step_changes_nothing(staff, people):
    data = {"csrfmiddlewaretoken": token(staff), "action": "delete", "scope": "all"}
    page = staff.post("/contacts/bulk/", data)
    assert page.status_code == 200 and "Delete 4 contacts." in page.content.decode()
    assert Contact.objects.count() == 4
    assert not AuditEntry.objects.filter(action__startswith="contact.bulk").exists()
    # without the CSRF token nothing happens either
    forged = {"action": "delete", "scope": "all", "confirmed": "on"}
    assert staff.post("/contacts/bulk/", forged).status_code == 403
    assert Contact.objects.count() == 4


def test_bulk_needs_a_selection_and_its_inputs(staff, people):
    response, _ = bulk(staff, action="add_tag", scope="selected", bulk_tag="x")
    assert response.status_code == 302
    page = staff.get(response["Location"]).content.decode()
    assert "Select at least one contact" in page
    response, _ = bulk(
        staff,
        action="subscribe",
        scope="all",
        sub_topic="newsletter",
        sub_state="confirmed",
        basis=" ",
    )
    page = staff.get(response["Location"]).content.decode()
    assert "basis: A confirmed subscription needs its consent basis" in page
    for ids in (["x"], ["-1"], [str(2**64)]):
        response, _ = bulk(staff, action="delete", scope="selected", ids=ids)
        page = staff.get(response["Location"]).content.decode()
        assert "The selection is not a list of contacts." in page
    assert not AuditEntry.objects.filter(action__startswith="contact.bulk").exists()
    assert Contact.objects.count() == 4


def test_subscribe_all_matching_skips_people_who_said_no(staff, people, offers):
    first, done = bulk(
        staff,
        action="subscribe",
        scope="all",
        sub_topic="offers",
        sub_state="confirmed",
        basis="ticked the box at the fair",
    )
    assert "Subscribe 4 contacts to “Offers” as confirmed." in first.content.decode()
    assert "Subscribe to a topic: 3 contacts changed; skipped: 1 status unsubscribed." in (
        done.content.decode()
    )
    states = dict(Subscription.objects.filter(topic=offers).values_list("contact__email", "state"))
    assert states == {
        "ana@example.com": "confirmed",
        "bob@example.com": "confirmed",
        "cy@example.org": "confirmed",
        "dee@example.com": "unsubscribed",
    }
    events = ConsentEvent.objects.filter(basis="ticked the box at the fair")
    assert sorted(events.values_list("email", "action")) == [
        ("ana@example.com", "subscribe_confirmed"),
        ("bob@example.com", "subscribe_confirmed"),
        ("cy@example.org", "subscribe_confirmed"),
    ]
    assert AuditEntry.objects.filter(action="contact.bulk_subscribe").count() == 1


def test_unsubscribe_from_everything_records_the_reason(staff, people):
    ids = [people["ana"].pk, people["bob"].pk]
    _, done = bulk(
        staff,
        action="unsubscribe",
        scope="selected",
        ids=ids,
        unsub_topic="",
        reason="asked by phone",
    )
    assert "Unsubscribe: 2 contacts changed." in done.content.decode()
    for pk in ids:
        contact = Contact.objects.get(pk=pk)
        assert contact.status == "unsubscribed"
        assert contact.subscriptions.get().state == "unsubscribed"
        entry = ConsentEvent.objects.filter(contact=contact).latest("id")
        assert (entry.action, entry.basis) == ("unsubscribe", "asked by phone")
    assert Event.objects.filter(type="unsubscribed", contact_id__in=ids).count() == 2
    entry = AuditEntry.objects.get(action="contact.bulk_unsubscribe")
    assert entry.after["reason"] == "asked by phone" and entry.after["scope"] == "all"


def test_delete_suppresses_people_who_withdrew(staff, people, api):
    ids = [people["dee"].pk, people["cy"].pk]
    first, done = bulk(staff, action="delete", scope="selected", ids=ids)
    page = first.content.decode()
    assert "Delete 2 contacts. This cannot be undone." in page
    assert "deleted after unsubscribing" in page and "<strong>1</strong> of them withdrew" in page
    assert "Delete: 2 contacts changed (1 suppressed)." in done.content.decode()
    assert not Contact.objects.filter(pk__in=ids).exists()
    entry = Suppression.objects.get(email="dee@example.com")
    assert (entry.reason, entry.detail) == ("manual", "deleted after unsubscribing")
    assert not is_suppressed("cy@example.org")
    # The ledger keeps the history, and the address cannot be confirmed again.
    assert ConsentEvent.objects.filter(contact_ref=ids[0], action="suppressed:manual").exists()
    contact, _ = directory.upsert(
        directory.ContactInput(
            email="Dee@example.com",
            subscriptions=[directory.SubscriptionRequest("offers", "confirmed", "import")],
        ),
        by=ADMIN,
    )
    assert not contact.subscriptions.filter(state="confirmed").exists()
    assert AuditEntry.objects.get(action="contact.bulk_delete").after["suppressed"] == 1


def read_csv(response) -> tuple[bytes, list[dict]]:
    body = b"".join(response.streaming_content)
    return body, list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_is_streamed_formula_safe_and_audited(staff, people, newsletter):
    declare(plan="string", orders="number")
    directory.upsert(
        directory.ContactInput(
            email="=cmd@example.com",
            name='=HYPERLINK("http://evil")',
            tags=["+danger", "@at", "ok"],
            attributes={"plan": "-1+1", "orders": 3},
            time_zone="Europe/Warsaw",
            birthday="1990-05-01",
        ),
        by=ADMIN,
    )
    response = staff.get("/contacts/export.csv?topic=newsletter")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body, rows = read_csv(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert [r["email"] for r in rows] == ["ana@example.com", "bob@example.com"]
    assert rows[0]["subscriptions"] == "newsletter:confirmed"
    assert rows[0]["tags"] == "vip"
    assert list(rows[0])[:10] == [
        "email",
        "name",
        "language",
        "time_zone",
        "status",
        "tags",
        "birthday",
        "anniversary",
        "created_at",
        "subscriptions",
    ]
    assert list(rows[0])[10:] == ["orders", "plan"]
    _, rows = read_csv(staff.get("/contacts/export.csv?q=cmd"))
    assert rows == [
        {
            **rows[0],
            "email": "'=cmd@example.com",
            "name": '\'=HYPERLINK("http://evil")',
            "tags": "'+danger, @at, ok",
            "plan": "'-1+1",
            "orders": "3",
            "time_zone": "Europe/Warsaw",
            "birthday": "1990-05-01",
        }
    ]
    entries = AuditEntry.objects.filter(action="contact.export").order_by("id")
    assert [e.after for e in entries] == [
        {"filters": {"topic": "newsletter"}, "count": 2},
        {"filters": {"q": "cmd"}, "count": 1},
    ]


def test_export_reads_in_chunks(staff, settings):
    declare(n="number")
    Contact.objects.bulk_create(
        [Contact(email=f"p{i:04d}@example.com", attributes={"n": i}) for i in range(2500)]
    )
    response = staff.get("/contacts/export.csv")
    pieces = list(response.streaming_content)
    assert len(pieces) == 4  # the header, then one piece per 1,000 contacts
    lines = b"".join(pieces).decode("utf-8-sig").splitlines()
    assert len(lines) == 2501 and lines[-1].startswith("p2499@example.com,")


def test_export_selected_rows_from_the_bulk_form(staff, people):
    data = {
        "csrfmiddlewaretoken": token(staff),
        "action": "export",
        "scope": "selected",
        "ids": [people["cy"].pk],
    }
    response = staff.post("/contacts/bulk/", data)
    _, rows = read_csv(response)
    assert [r["email"] for r in rows] == ["cy@example.org"]


def test_settings_attributes_add_and_refused_type_change(staff, people):
    page = staff.get("/settings/attributes/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    bad = staff.post(
        "/settings/attributes/", {"csrfmiddlewaretoken": csrf, "key": "Plan", "type": "string"}
    )
    assert bad.status_code == 400 and "must be 1 to 64 lowercase letters" in bad.content.decode()
    done = staff.post(
        "/settings/attributes/",
        {"csrfmiddlewaretoken": csrf, "key": "plan", "type": "string", "label": "Plan"},
        follow=True,
    )
    assert "Attribute “plan” added." in done.content.decode()
    assert '<tr data-key="plan">' in done.content.decode()
    Contact.objects.filter(pk=people["ana"].pk).update(attributes={"plan": "pro"})
    refused = staff.post(
        "/settings/attributes/plan/", {"csrfmiddlewaretoken": csrf, "label": "P", "type": "number"}
    )
    assert refused.status_code == 400
    assert "1 contact has a value that does not convert (e.g. &#x27;pro&#x27;)" in (
        refused.content.decode()
    )
