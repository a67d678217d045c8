"""The lint in the UI: as you type (POST /templates/lint, an htmx partial), after saving
(the preview page), and before sending (the send page shows each error with its fix)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mailwright.campaigns.models import Campaign
from mailwright.campaigns.templates import save_template
from mailwright.contacts.models import Contact, Subscription
from tests.campaigns.lint_samples import BODY, CLEAN_HTML, CLEAN_MJML, CLEAN_SUBJECT, CLEAN_TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def codes(page: str) -> list[str]:
    return re.findall(r'<li data-code="([a-z_]+)">', page)


def test_lint_as_you_type_returns_the_findings_partial(staff):
    r = staff.post(
        "/templates/lint",
        {"subject": "Re: hello", "source_format": "html", "source": "<p>{{ unsubscribe_url }}</p>"},
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert page.startswith('<section id="lint"')
    assert "<html" not in page  # a partial, not a page
    assert codes(page)[:3] == ["deceptive_subject", "missing_preferences", "missing_postal_address"]
    assert "Fix: Remove “Re:” from the start of the subject." in page
    assert "sending is blocked" in page


def test_block_editor_parameters_and_a_clean_message(staff):
    r = staff.post(
        "/templates/lint", {"subject": CLEAN_SUBJECT, "mjml": CLEAN_MJML, "text": CLEAN_TEXT}
    )
    assert 'data-testid="lint-clean"' in r.content.decode()
    r = staff.post(
        "/templates/lint", {"subject": CLEAN_SUBJECT, "html": f"<p>{BODY}</p>", "footer": "1"}
    )
    page = r.content.decode()
    assert "lint-errors" not in page and "missing_preheader" in codes(page)


def test_lint_endpoint_needs_a_session_and_csrf(admin_user):
    anonymous = Client()
    r = anonymous.post("/templates/lint", {"subject": "x", "html": "<p>x</p>"})
    assert r.status_code == 302 and "/login" in r["Location"]
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(admin_user)
    assert checked.post("/templates/lint", {"subject": "x", "html": "<p>x</p>"}).status_code == 403
    assert checked.get("/templates/lint").status_code == 405


def test_hostile_input_gives_a_finding_or_a_4xx(staff, settings):
    r = staff.post("/templates/lint", {"subject": "x", "html": "{{ ''.__class__.__mro__ }}"})
    assert r.status_code == 200 and codes(r.content.decode())[0] == "render_error"
    r = staff.post("/templates/lint", {"subject": "x", "html": "{% for x in %}"})
    assert "html line 1 column 1" in r.content.decode()
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    r = staff.post("/templates/lint", {"subject": "x", "html": big})
    assert r.status_code == 413 and "source_too_long" in codes(r.content.decode())
    r = staff.post(
        "/templates/lint", b"\x00\xff\xfe binary", content_type="application/octet-stream"
    )
    assert r.status_code == 200 and "empty_body" in codes(r.content.decode())


def test_editor_lints_as_you_type_and_after_saving(staff):
    page = staff.get("/templates/new/").content.decode()
    assert 'hx-post="/templates/lint"' in page
    assert 'hx-trigger="keyup changed delay:600ms' in page
    r = staff.post(
        "/templates/new/",
        {
            "name": "Spring",
            "subject": "FREE MONEY FOR ALL MEMBERS",
            "source_format": "html",
            "source": CLEAN_HTML,
            "text": CLEAN_TEXT,
        },
    )
    assert r.status_code == 302
    preview = staff.get(r["Location"]).content.decode()
    assert codes(preview) == ["subject_all_caps", "spam_phrase"]
    edit = staff.get(r["Location"].replace("/preview/", "/edit/")).content.decode()
    assert codes(edit) == ["subject_all_caps", "spam_phrase"]


@pytest.fixture
def draft(newsletter):
    contact = Contact.objects.create(email="reader@example.com", name="Reader")
    Subscription.objects.create(contact=contact, topic=newsletter, state="confirmed", basis="form")
    tpl = save_template(name="No footer", subject=CLEAN_SUBJECT, html=f"<p>{BODY}</p>")
    tpl.brand_footer = False
    tpl.save()
    campaign = Campaign.objects.create(name="Autumn", template=tpl)
    campaign.topics.add(newsletter)
    return campaign


def test_send_page_shows_each_error_with_its_fix_and_refuses(staff, draft):
    page = staff.get(f"/campaigns/{draft.id}/send/").content.decode()
    assert codes(page)[:3] == [
        "missing_unsubscribe",
        "missing_preferences",
        "missing_postal_address",
    ]
    assert "Fix: Add a link to {{ unsubscribe_url }}" in page
    assert re.search(r'<button type="submit" class="primary" disabled', page)
    r = staff.post(f"/campaigns/{draft.id}/send/")
    assert r.status_code == 422
    assert codes(r.content.decode())[:3] == [
        "missing_unsubscribe",
        "missing_preferences",
        "missing_postal_address",
    ]
    draft.refresh_from_db()
    assert draft.state == "draft"
    # with the brand footer it may go
    draft.template.brand_footer = True
    draft.template.save()
    assert (
        'data-testid="lint-errors"'
        not in staff.get(f"/campaigns/{draft.id}/send/").content.decode()
    )
    assert staff.post(f"/campaigns/{draft.id}/send/").status_code == 302
    draft.refresh_from_db()
    assert draft.state == "sending"
