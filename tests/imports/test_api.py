"""The import API as a client uses it: multipart upload → 202, the task worker runs it,
GET shows progress and counts, the report downloads as formula-safe CSV; held lists, the
PATCH for an incomplete mapping, and hostile uploads answered with clear 4xx."""

from __future__ import annotations

import io

import pytest
from django_tasks_db.models import DBTaskResult

from mailwright.contacts.models import Contact, Subscription
from mailwright.imports import tasks
from mailwright.imports.models import Import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


@pytest.fixture
def upload(client, api_key, django_capture_on_commit_callbacks):
    """POST a file (multipart) and let the task worker run what it queued."""

    def post(text: bytes | str, name: str = "list.csv", **fields):
        data = text.encode() if isinstance(text, str) else text
        f = io.BytesIO(data)
        f.name = name
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/imports",
                {"file": f, **fields},
                headers={"Authorization": f"Bearer {api_key}"},
            )
        work()
        return response

    return post


def work() -> None:
    """What the task worker does with the queued imports (its loop closes connections,
    which the test's transaction cannot survive): run each task's function."""
    for row in DBTaskResult.objects.filter(queue_name="imports", status="READY"):
        assert row.task_path == "mailwright.imports.tasks.process_import"
        tasks.process_import.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()


CSV = (
    "E-mail,Name,Consent,Tags\n"
    "ana@example.pl,Ana,yes,vip\n"
    '=HYPERLINK("http://evil"),Mallory,yes,\n'
    "jan@example.pl,Jan,yes,\n"
    "ola@example.pl,Ola,yes,\n"
    "Ana@Example.pl,,yes,new\n"
) + "".join(f"p{i}@example.pl,P{i},yes,\n" for i in range(10))


def test_upload_runs_and_reports(upload, api, newsletter):
    response = upload(CSV, topic="newsletter", basis="existing customers")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "analysing"
    assert body["report_url"] == f"/api/v1/imports/{body['id']}/report.csv"
    done = api.get(f"/imports/{body['id']}").json()
    assert done["state"] == "done" and done["progress"] == 1.0
    assert done["counts"] == {
        "imported": 13,
        "updated": 0,
        "merged": 1,
        "rejected": 1,
        "unchanged": 0,
    }
    assert done["hygiene"]["total"] == 15
    report = api.get(f"/imports/{body['id']}/report.csv")
    assert report["Content-Type"].startswith("text/csv")
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[0] == "record,line,email,outcome,reason"
    assert lines[1].startswith('2,3,"\'=HYPERLINK(""http://evil"")",rejected,E-mail:')
    assert lines[2].startswith("5,6,Ana@Example.pl,merged,same address as line 2")
    assert Contact.objects.get(email_key="ana@example.pl").tags == ["vip", "new"]
    assert Subscription.objects.filter(state="confirmed").count() == 13
    listed = api.get("/imports").json()
    assert [i["id"] for i in listed] == [body["id"]]


def test_held_list_is_confirmed_through_the_api(
    upload, api, newsletter, client, api_key, django_capture_on_commit_callbacks
):
    rows = "email\n" + "".join(f"p{i}@example.pl\n" for i in range(20))
    imp_id = upload(rows, topic="newsletter", basis="trade fair").json()["id"]
    held = api.get(f"/imports/{imp_id}").json()
    assert held["state"] == "held"
    assert "No column is mapped to consent" in held["hold_reasons"][0]
    assert Contact.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/imports/{imp_id}/confirm").status_code == 202
    work()
    assert api.get(f"/imports/{imp_id}").json()["counts"]["imported"] == 20
    assert Subscription.objects.filter(state="pending").count() == 20
    again = api.post(f"/imports/{imp_id}/confirm")
    assert again.status_code == 409 and "done" in again.json()["error"]["message"]


def test_incomplete_mapping_waits_for_patch(
    upload, api, newsletter, django_capture_on_commit_callbacks
):
    response = upload("Kontakt;Zgoda\nana@example.pl;tak\n", topic="newsletter", basis="shop")
    body = response.json()
    assert response.status_code == 202 and body["state"] == "uploaded"
    assert body["headers"] == ["Kontakt", "Zgoda"]
    wrong = api.patch(f"/imports/{body['id']}", {"mapping": {"Nope": "email"}})
    assert wrong.status_code == 422 and "Nope" in wrong.json()["error"]["message"]
    with django_capture_on_commit_callbacks(execute=True):
        ok = api.patch(
            f"/imports/{body['id']}", {"mapping": {"Kontakt": "email", "Zgoda": "consent"}}
        )
    assert ok.status_code == 202, ok.content
    work()
    assert api.get(f"/imports/{body['id']}").json()["state"] == "done"
    assert Subscription.objects.get().state == "confirmed"


def test_hostile_uploads_get_clear_errors(upload, settings, newsletter):
    not_csv = upload(
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, name="photo.csv", topic="newsletter", basis="x"
    )
    assert not_csv.status_code == 422
    assert "PNG" in not_csv.json()["error"]["message"]

    settings.IMPORT_MAX_BYTES = 1000
    big = upload("email\n" + "a@example.pl\n" * 200, topic="newsletter", basis="x")
    assert big.status_code == 413
    assert "larger than the import limit" in big.json()["error"]["message"]
    settings.IMPORT_MAX_BYTES = 512 * 1024 * 1024

    no_basis = upload("email\na@example.pl\n", topic="newsletter")
    assert no_basis.status_code == 422
    assert no_basis.json()["error"] == {
        "code": "invalid",
        "message": "the lawful basis is required (e.g. 'double opt-in on our site', 'existing"
        " customers')",
        "field": "basis",
    }
    wide = ",".join(f"c{i}" for i in range(2_000_000))  # a 2-million-column header
    too_wide = upload(f"email,{wide}\na@example.pl\n", topic="newsletter", basis="x")
    assert too_wide.status_code == 422
    assert "column" in too_wide.json()["error"]["message"]
    deep = upload("email\na@example.pl\n", topic="newsletter", basis="x", mapping="[" * 50_000)
    assert deep.status_code == 422
    assert deep.json()["error"]["field"] == "mapping"
    assert Import.objects.count() == 0
    assert list((settings.DATA_DIR / "imports").iterdir()) == []
