"""Near-duplicates (Gmail dots, googlemail.com, plus-tags) are found in one query on both
databases, listed by `mailwright contacts dedupe`, and merged or dismissed from the review
page by the merge rule."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from mailwright.audit.models import AuditEntry
from mailwright.contacts import near_duplicates
from mailwright.contacts.models import Contact, Subscription
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(newsletter):
    made = {}
    for email, state in [
        ("jan.kowalski@gmail.com", "confirmed"),
        ("JanKowalski+news@googlemail.com", "pending"),
        ("j.a.n.kowalski@gmail.com", None),
        ("ola+shop@example.pl", "confirmed"),
        ("ola@example.pl", None),
        ("ola.x@example.pl", None),  # not a duplicate: dots matter outside Gmail
        ("solo@example.com", "confirmed"),
    ]:
        made[email] = make_contact(email, newsletter if state else None, state=state or "pending")
    return made


@pytest.mark.parametrize(
    ("key", "loose"),
    [
        ("jan.kowalski@gmail.com", "jankowalski@gmail.com"),
        ("jankowalski+news@googlemail.com", "jankowalski@gmail.com"),
        ("ola+shop@example.pl", "ola@example.pl"),
        ("+only@example.pl", "+only@example.pl"),  # a leading + is the name itself
        ("ola.x@example.pl", "ola.x@example.pl"),
    ],
)
def test_loose_key(key, loose):
    assert near_duplicates.loose_key(key) == loose


def test_groups_are_found_in_sql_matching_the_python_rule(people):
    keys = list(near_duplicates.duplicate_keys())
    assert keys == ["jankowalski@gmail.com", "ola@example.pl"]
    groups = {g.loose_key: [c.email for c in g.contacts] for g in near_duplicates.groups(keys)}
    assert groups["jankowalski@gmail.com"] == [
        "jan.kowalski@gmail.com",
        "JanKowalski+news@googlemail.com",
        "j.a.n.kowalski@gmail.com",
    ]
    assert groups["ola@example.pl"] == ["ola+shop@example.pl", "ola@example.pl"]
    for contact in Contact.objects.all():
        expected = near_duplicates.loose_key(contact.email_key)
        assert near_duplicates._annotated().get(pk=contact.pk).loose == expected


def test_cli_lists_then_merges_into_the_oldest(people, newsletter):
    out = StringIO()
    call_command("contacts", "dedupe", "--json", stdout=out)
    listed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [g["key"] for g in listed] == ["jankowalski@gmail.com", "ola@example.pl"]
    assert "googlemail.com is gmail.com" in listed[0]["reasons"]
    assert Contact.objects.count() == 7  # listing changes nothing

    out = StringIO()
    call_command("contacts", "dedupe", "--merge", stdout=out)
    assert "2 groups of near-duplicates; 3 contacts merged" in out.getvalue()
    assert Contact.objects.count() == 4
    jan = Contact.objects.get(email="jan.kowalski@gmail.com")
    # confirmed with evidence beats pending
    assert Subscription.objects.get(contact=jan, topic=newsletter).state == "confirmed"
    assert list(near_duplicates.duplicate_keys()) == []


def test_review_page_merges_the_chosen_ones_and_dismisses(client, admin_user, people):
    client.force_login(admin_user)
    page = client.get("/contacts/duplicates/")
    assert page.status_code == 200
    assert b"JanKowalski+news@googlemail.com" in page.content
    assert b"ola.x@example.pl" not in page.content
    keep = people["j.a.n.kowalski@gmail.com"]
    merge = people["JanKowalski+news@googlemail.com"]
    r = client.post(
        "/contacts/duplicates/resolve/",
        {"key": "jankowalski@gmail.com", "keep": keep.pk, "merge": [merge.pk], "action": "merge"},
    )
    assert r.status_code == 302
    assert not Contact.objects.filter(pk=merge.pk).exists()
    assert Contact.objects.filter(pk=people["jan.kowalski@gmail.com"].pk).exists()
    assert AuditEntry.objects.filter(action="contact.merge", object_id=str(keep.pk)).exists()

    r = client.post("/contacts/duplicates/resolve/", {"key": "ola@example.pl", "action": "dismiss"})
    assert r.status_code == 302
    assert list(near_duplicates.duplicate_keys()) == ["jankowalski@gmail.com"]
    page = client.get("/contacts/duplicates/")
    assert b"ola+shop@example.pl" not in page.content


@pytest.mark.parametrize(
    "data",
    [
        {"key": "jankowalski@gmail.com", "keep": "abc", "merge": ["1"], "action": "merge"},
        {"key": "nope@example.com", "keep": "1", "merge": ["2"], "action": "merge"},
        {"key": "x" * 5000, "keep": "9" * 40, "merge": ["-1"], "action": "merge"},
        {"key": "jankowalski@gmail.com", "action": "merge"},
    ],
)
def test_bad_review_posts_change_nothing(client, admin_user, people, data):
    client.force_login(admin_user)
    r = client.post("/contacts/duplicates/resolve/", data)
    assert r.status_code == 302
    assert Contact.objects.count() == 7
