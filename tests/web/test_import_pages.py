"""Contacts → Import in the staff UI, through the Django test client: upload (good and bad
files), the column mapping and its validation, the encoding override, the hold and its
confirmation, the live progress endpoint, the report and its formula-safe CSV download, and
resuming an import whose process died. Imports run through the real task path: the view
enqueues, and the immediate task backend runs the task when the request's transaction
commits (in production the `mailwright tasks` worker does)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mailwright.audit.models import AuditEntry
from mailwright.contacts.models import AttributeDefinition, Contact, Subscription
from mailwright.imports.models import Import

pytestmark = pytest.mark.django_db

GOOD = (
    "Email;Name;Consent;Plan\n"
    "ana@example.pl;Ana Żółć;2024-05-01 double opt-in;pro\n"
    "jan@example.pl;Jan Kowalski;yes;free\n"
    '=HYPERLINK("http://evil.example");Evil;yes;free\n'
    "ola@example.pl;Ola;yes;pro\n"
    "ANA@example.pl;;yes;\n"
    + "".join(f"person{i}@example.pl;Person {i};yes;free\n" for i in range(7))
)  # 1 invalid address in 12: under the 10 % that holds an import


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "webhooks", "imports"],
        }
    }


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def html(response) -> str:
    return response.content.decode()


def xlsx() -> bytes:
    """The shape of a workbook saved by Excel: a ZIP archive with xl/ inside."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def upload(client, content: bytes | str, name: str = "list.csv", **fields):
    data = content.encode() if isinstance(content, str) else content
    form = {
        "file": SimpleUploadedFile(name, data, content_type="text/csv"),
        "topics": ["newsletter"],
        "basis": "double opt-in on our site",
        **fields,
    }
    return client.post(reverse("web:import_upload"), form)


def start(client, imp: Import, mapping: dict[str, str], capture) -> object:
    """Submit the mapping page (one select per column) and run what it enqueued."""
    data = {f"column_{i}": mapping.get(h, "") for i, h in enumerate(imp.headers)}
    with capture(execute=True):
        return client.post(reverse("web:import_mapping", args=[imp.pk]), data)


def test_upload_map_start_and_read_the_report(
    staff, newsletter, django_capture_on_commit_callbacks
):
    AttributeDefinition.objects.create(key="plan", label="Plan", type="string")
    response = upload(staff, GOOD)
    imp = Import.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:import_mapping", args=[imp.pk])

    page = html(staff.get(response["Location"]))
    assert "CSV, columns separated by semicolons" in page
    assert "UTF-8" in page and "(detected)" in page
    assert '<td class="wrap">Ana Żółć</td>' in page  # the preview, decoded
    # The detected mapping is preselected: Email → email, Consent → consent evidence.
    assert '<option value="email" selected>' in page
    assert '<option value="consent" selected>' in page
    assert '<option value="attributes.plan">Plan</option>' in page  # declared attributes

    response = start(
        staff,
        imp,
        {"Email": "email", "Name": "name", "Consent": "consent", "Plan": "attributes.plan"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    imp.refresh_from_db()
    assert imp.state == Import.State.DONE, imp.error

    report = html(staff.get(reverse("web:import_detail", args=[imp.pk])))
    assert 'data-count="imported"><dt>Imported</dt><dd>10</dd>' in report
    assert 'data-count="merged"><dt>Merged</dt><dd>1</dd>' in report
    assert 'data-count="rejected"><dt>Rejected</dt><dd>1</dd>' in report
    assert "Download report (CSV)" in report
    assert 'data-line="4"' in report and "same address as line 2" in report
    ana = Contact.objects.get(email_key="ana@example.pl")
    assert ana.name == "Ana Żółć" and ana.attributes == {"plan": "pro"}
    assert Subscription.objects.filter(topic=newsletter, state="confirmed").count() == 10

    # The list shows it with its counts.
    listing = html(staff.get(reverse("web:import_list")))
    assert "list.csv" in listing and 'data-testid="import-state">Done<' in listing


def test_report_download_is_formula_safe_and_streamed(
    staff, newsletter, django_capture_on_commit_callbacks
):
    upload(staff, GOOD)
    imp = Import.objects.get()
    start(staff, imp, {"Email": "email", "Consent": "consent"}, django_capture_on_commit_callbacks)

    response = staff.get(reverse("web:import_report_csv", args=[imp.pk]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="import-1-report.csv"' in response["Content-Disposition"].replace(
        str(imp.pk), "1"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["record", "line", "email", "outcome", "reason"]
    rejected = next(r for r in rows[1:] if r[3] == "rejected")
    assert rejected[1] == "4"
    assert rejected[2].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "photo.csv", "This file is a PNG image"),
        (xlsx(), "list.xlsx", "This file is an Excel workbook (.xlsx), not a CSV"),
        (b"", "empty.csv", "The submitted file is empty."),
        (b"   \n\n", "blank.csv", "The file is empty"),
        (b"<!DOCTYPE html><html><body><table><tr><td>a@b.pl</td></tr></table>", "x.csv", "HTML"),
    ],
)
def test_a_bad_file_is_refused_on_the_form(staff, newsletter, content, name, message):
    response = upload(staff, content, name=name)
    assert response.status_code == 400
    page = html(response)
    assert message.lower() in page.lower()
    assert 'class="field has-error"' in page or "form-errors" in page
    assert not Import.objects.exists()


def test_an_oversized_upload_is_refused_with_the_limit(staff, newsletter, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(staff, "email\n" + "someone@example.pl\n" * 100)
    assert response.status_code == 400
    page = html(response)
    assert "the most an import takes is 1000\xa0bytes" in page
    assert "at most 1000\xa0bytes" in page  # the limit is shown with the file field
    assert not Import.objects.exists()


def test_the_lawful_basis_and_a_topic_are_required(staff, newsletter):
    response = upload(staff, GOOD, basis="  ", topics=[])
    assert response.status_code == 400
    page = html(response)
    assert "Say why you may email these people." in page
    assert "Choose at least one topic" in page
    assert not Import.objects.exists()


def test_every_form_needs_the_csrf_token(admin_user, newsletter):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert upload(client, GOOD).status_code == 403
    page = html(client.get(reverse("web:import_upload")))
    assert page.count('name="csrfmiddlewaretoken"') == 2  # the upload form and log out


def test_mapping_needs_exactly_one_email_column(
    staff, newsletter, django_capture_on_commit_callbacks
):
    upload(staff, GOOD)
    imp = Import.objects.get()
    response = start(staff, imp, {"Name": "name"}, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "exactly one column must be imported as “Email address”" in html(response)

    response = start(
        staff, imp, {"Email": "email", "Name": "email"}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    assert "Only one column can be the email address" in html(response)
    imp.refresh_from_db()
    assert imp.state == Import.State.READY and not Contact.objects.exists()


def test_a_file_without_a_recognised_email_column_waits_for_the_mapping(
    staff, newsletter, django_capture_on_commit_callbacks
):
    response = upload(staff, "Kontakt,Wer\nana@example.pl,Ana\njan@example.pl,Jan\n")
    imp = Import.objects.get()
    assert response["Location"] == reverse("web:import_mapping", args=[imp.pk])
    page = html(staff.get(response["Location"]))
    problem = page.split('data-testid="mapping-problem">', 1)[1].split("</p>", 1)[0]
    assert "email" in problem  # the service's words: no column is mapped to email
    assert "double opt-in on our site" in page  # the basis given on the upload is kept
    start(staff, imp, {"Kontakt": "email", "Wer": "name"}, django_capture_on_commit_callbacks)
    imp.refresh_from_db()
    assert imp.basis == "double opt-in on our site"
    assert imp.state in (Import.State.DONE, Import.State.HELD)
    assert Contact.objects.count() == (2 if imp.state == Import.State.DONE else 0)


def test_choosing_another_encoding_reads_the_preview_again(staff, newsletter):
    text = (
        "Adres e-mail;Imię;Zgoda\n"
        "lukasz@example.pl;Łukasz Żółć;tak\nzaza@example.pl;Zażółć Gęślą;tak\n"
    )
    upload(staff, text.encode("cp1250"))
    imp = Import.objects.get()
    page = html(staff.get(reverse("web:import_mapping", args=[imp.pk])))
    assert "Łukasz Żółć" in page and "Windows-1250" in page

    response = staff.post(reverse("web:import_encoding", args=[imp.pk]), {"encoding": "cp1251"})
    assert response.status_code == 302
    page = html(staff.get(reverse("web:import_mapping", args=[imp.pk])))
    assert "Łukasz Żółć" not in page and "(chosen)" in page
    assert "Ј" in page  # Ł (0xA3 in Windows-1250) is Cyrillic Ј in Windows-1251

    staff.post(reverse("web:import_encoding", args=[imp.pk]), {"encoding": "cp1250"})
    page = html(staff.get(reverse("web:import_mapping", args=[imp.pk])))
    assert "Łukasz Żółć" in page


def test_a_held_import_waits_and_imports_once_confirmed(
    staff, newsletter, django_capture_on_commit_callbacks
):
    rows = "".join(f"person{i}@example.pl,yes\n" for i in range(8)) + "x,yes\ny@,yes\n"
    upload(staff, "email,consent\n" + rows)
    imp = Import.objects.get()
    start(staff, imp, {"email": "email", "consent": "consent"}, django_capture_on_commit_callbacks)
    imp.refresh_from_db()
    assert imp.state == Import.State.HELD

    page = html(staff.get(reverse("web:import_detail", args=[imp.pk])))
    assert "This import is on hold" in page
    assert "of the addresses are invalid" in page  # the reason, as the checks wrote it
    assert 'data-hygiene="invalid"><dt>Invalid or no mail server</dt><dd>20.0%' in page
    assert "Import anyway" in page and not Contact.objects.exists()

    assert staff.get(reverse("web:import_confirm", args=[imp.pk])).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("web:import_confirm", args=[imp.pk]))
    assert response.status_code == 302
    imp.refresh_from_db()
    assert imp.state == Import.State.DONE
    assert Contact.objects.count() == 8
    confirm = AuditEntry.objects.get(action="import.confirm")
    assert confirm.actor == "owner"


def test_cancel_a_held_import(staff, newsletter, django_capture_on_commit_callbacks):
    upload(staff, "email\n" + "".join(f"p{i}@example.pl\n" for i in range(5)))
    imp = Import.objects.get()
    start(staff, imp, {"email": "email"}, django_capture_on_commit_callbacks)
    imp.refresh_from_db()
    assert imp.state == Import.State.HELD  # no row carries consent evidence
    staff.post(reverse("web:import_cancel", args=[imp.pk]))
    imp.refresh_from_db()
    assert imp.state == Import.State.CANCELLED and not Contact.objects.exists()
    page = html(staff.get(reverse("web:import_detail", args=[imp.pk])))
    assert "This import was cancelled; nothing was imported." in page


def test_progress_endpoint_and_a_stale_import_resumes(
    staff, newsletter, django_capture_on_commit_callbacks
):
    upload(staff, GOOD)
    imp = Import.objects.get()
    # Started, but the process that took it died before its first batch.
    Import.objects.filter(pk=imp.pk).update(
        state=Import.State.RUNNING,
        started_at=timezone.now() - timedelta(minutes=5),
        updated_at=timezone.now() - timedelta(minutes=5),
        heartbeat=timezone.now() - timedelta(minutes=5),
        consent_share=1.0,
    )
    data = staff.get(reverse("web:import_progress", args=[imp.pk])).json()
    assert data["state"] == "running" and data["percent"] == 0 and data["stale"] is True
    assert data["counts"]["imported"] == 0

    page = html(staff.get(reverse("web:import_detail", args=[imp.pk])))
    assert "<progress" in page and 'http-equiv="refresh"' in page  # works without JS too
    assert "has made no progress for over a minute" in page and ">Resume</button>" in page

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("web:import_resume", args=[imp.pk]))
    imp.refresh_from_db()
    assert imp.state == Import.State.DONE
    data = staff.get(reverse("web:import_progress", args=[imp.pk])).json()
    assert data["state"] == "done" and data["percent"] == 100 and data["stale"] is False
    assert data["counts"]["imported"] == 10


def test_pages_need_a_sign_in(client, newsletter):
    for name in ("web:import_list", "web:import_upload"):
        assert client.get(reverse(name)).status_code == 302


def test_confirmation_emails_are_limited_and_counted_in_the_report(
    staff, newsletter, settings, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()  # the hourly opt-in budget is counted in the cache
    settings.IMPORT_OPTIN_PER_HOUR = 2
    page = html(staff.get(reverse("web:import_upload")))
    assert "At most 2 confirmation emails go out an hour" in page

    people = "".join(f"p{i}@example.pl,\n" for i in range(3))
    upload(staff, "email,consent\n" + people, send_optin="on")
    imp = Import.objects.get()
    start(staff, imp, {"email": "email", "consent": "consent"}, django_capture_on_commit_callbacks)
    imp.refresh_from_db()
    assert imp.state == Import.State.HELD  # nobody has consent evidence
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("web:import_confirm", args=[imp.pk]))
    report = html(staff.get(reverse("web:import_detail", args=[imp.pk])))
    assert "Confirmation emails: 2 sent, 1 not sent (over the hourly limit" in report
    assert Subscription.objects.filter(state="pending").count() == 3


def test_discard_an_upload_that_was_not_started(staff, newsletter, settings):
    upload(staff, GOOD)
    imp = Import.objects.get()
    stored = settings.DATA_DIR / imp.path
    assert stored.exists()
    response = staff.post(reverse("web:import_discard", args=[imp.pk]), follow=True)
    assert "The upload of list.csv was discarded." in html(response)
    assert not Import.objects.exists() and not stored.exists()
    assert AuditEntry.objects.filter(action="import.delete").count() == 1
