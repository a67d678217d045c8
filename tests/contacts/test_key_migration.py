"""Upgrading an installation whose contacts include case variants (`Ana@x.pl` and
`ana@x.pl` were two contacts before address keys ignored case): the migration keys the
oldest, the post-migrate merge folds the others into it by the merge rule, and suppression
entries are re-keyed so either spelling is refused."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from mailwright.consent.suppression import is_suppressed
from mailwright.contacts.models import Contact, Subscription

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("contacts", "0002_contact_erased_at_contact_frequency_and_more"),
    ("consent", "0004_organisation_moved_from_campaigns"),
]


def test_case_variants_are_merged_on_upgrade():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldContact = old.get_model("contacts", "Contact")
    Topic = old.get_model("contacts", "Topic")
    OldSubscription = old.get_model("contacts", "Subscription")
    Suppression = old.get_model("consent", "Suppression")
    now = timezone.now()
    topic = Topic.objects.create(key="news", name="News")
    first = OldContact.objects.create(email="Ana@x.pl", name="Ana")
    second = OldContact.objects.create(email="ana@x.pl", language="pl")
    OldContact.objects.create(email="bob@x.pl")
    OldSubscription.objects.create(contact=first, topic=topic, state="confirmed")
    OldSubscription.objects.create(contact=second, topic=topic, state="unsubscribed")
    Suppression.objects.create(
        email="Carol@x.pl", email_hash="legacy-hash-1", reason="manual", created_at=now
    )
    Suppression.objects.create(
        email="carol@x.pl", email_hash="legacy-hash-2", reason="hard_bounce", created_at=now
    )

    # What `mailwright migrate` does: the migrations, then post_migrate's merge.
    call_command("migrate", verbosity=0)

    assert list(Contact.objects.order_by("id").values_list("email", "email_key")) == [
        ("Ana@x.pl", "ana@x.pl"),
        ("bob@x.pl", "bob@x.pl"),
    ]
    ana = Contact.objects.get(email_key="ana@x.pl")
    assert (ana.name, ana.language) == ("Ana", "pl")
    assert Subscription.objects.get(contact=ana).state == "unsubscribed"  # withdrawal wins
    from mailwright.consent.models import Suppression as Current

    assert Current.objects.count() == 1
    assert is_suppressed("CAROL@x.pl") and is_suppressed("carol@x.pl")
