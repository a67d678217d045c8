"""A draft campaign's page shows the hygiene of the audience it would reach."""

from __future__ import annotations

import re

import pytest

from mailwright.contacts.hygiene import summarize_contacts
from mailwright.contacts.models import Contact
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def risk_count(page: str, risk: str) -> int:
    match = re.search(rf'data-risk="{risk}"><dt>[^<]*</dt><dd>(\d+)</dd>', page)
    assert match, f"no count for {risk}"
    return int(match.group(1))


def test_a_scraped_audience_is_flagged_on_the_campaign_page(staff, newsletter):
    for address in ("ana@example.com", "bob@example.com", "ewa@gmial.com"):
        make_contact(address, newsletter)
    for address in ("info@shop.example.com", "biuro@firma.example.pl", "x@mailinator.com"):
        make_contact(address, newsletter)
    make_contact("sales@example.com")  # not subscribed: not in the audience
    campaign = make_campaign(newsletter)

    page = staff.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert "Audience hygiene" in page
    assert "All 6 contacts this campaign would reach" in page
    assert (risk_count(page, "ok"), risk_count(page, "role")) == (2, 2)
    assert (risk_count(page, "disposable"), risk_count(page, "typo")) == (1, 1)
    warning = re.search(r'data-testid="hygiene-warning">([^<]*)<', page).group(1)
    assert warning.startswith("50.0 % of the addresses are role accounts")


def test_a_clean_audience_has_no_warning(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    page = staff.get(f"/campaigns/{make_campaign(newsletter).pk}/").content.decode()
    assert "All 1 contact this campaign would reach" in page
    assert 'data-testid="hygiene-warning"' not in page


def test_a_large_audience_is_judged_by_a_random_sample(newsletter):
    for i in range(30):
        make_contact(f"info{i}@example.com" if i % 3 else f"info@shop{i}.example.com")
    summary = summarize_contacts(Contact.objects.all(), sample_above=20, sample_size=12)
    assert summary.sample_of == 30
    assert summary.total == 12
    assert sum(summary.counts.values()) == 12
    whole = summarize_contacts(Contact.objects.all(), sample_above=30)
    assert (whole.sample_of, whole.total, whole.counts["role"]) == (None, 30, 10)
