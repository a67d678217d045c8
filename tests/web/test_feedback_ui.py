"""The feedback side of the staff UI: campaign reports (human and automated engagement apart),
stream analytics, the suppression list (search, add, import, export), the inbound log and its
dead letters, outgoing webhooks, and the contact timeline."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.models import Campaign, CampaignLink
from mailwright.consent import privacy
from mailwright.consent.hashing import address_hash
from mailwright.consent.models import ConsentEvent, Suppression
from mailwright.consent.suppression import do_suppress
from mailwright.delivery.models import Delivery
from mailwright.feedback import reports
from mailwright.feedback.models import Event, InboundMessage, WebhookDelivery, WebhookEndpoint
from mailwright.web.feedback.views import parse_address_list
from mailwright.web.shell.helpers import csv_cell
from tests.conftest import ADMIN, make_campaign, make_contact

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def html(response) -> str:
    return response.content.decode()


def delivery(campaign, email, state, sent=True, contact=None, stream="marketing", at=T0):
    return Delivery.objects.create(
        campaign=campaign,
        contact=contact,
        email=email,
        domain=email.rsplit("@", 1)[1],
        stream=stream,
        state=state,
        next_attempt_at=at,
        created_at=at,
        updated_at=at,
        sent_at=at if sent else None,
    )


def event(d, type_, at, machine=False, **data):
    return Event.objects.create(
        type=type_,
        delivery=d,
        campaign_id=d.campaign_id,
        contact_id=d.contact_id,
        machine=machine,
        data=data,
        created_at=at,
    )


@pytest.fixture
def reported(newsletter):
    return make_reported(newsletter)


def make_reported(newsletter):
    """A sent campaign with a known set of deliveries and events (see the expected figures)."""
    campaign = make_campaign(newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.SENT, started_at=T0 + timedelta(minutes=5)
    )
    campaign.refresh_from_db()
    CampaignLink.objects.create(campaign=campaign, index=0, url="https://shop.example/a")
    CampaignLink.objects.create(campaign=campaign, index=1, url="https://shop.example/b")
    S = Delivery.State
    d1 = delivery(campaign, "a@gmail.com", S.SENT)
    d2 = delivery(campaign, "b@gmail.com", S.SENT)
    delivery(campaign, "c@gmail.com", S.BOUNCED)  # bounced later
    delivery(campaign, "d@yahoo.com", S.BOUNCED, sent=False)  # refused at once
    d5 = delivery(campaign, "e@yahoo.com", S.SENT)
    d6 = delivery(campaign, "f@outlook.com", S.SENT)
    delivery(campaign, "g@outlook.com", S.QUEUED, sent=False)
    h = timedelta(hours=1)
    # d1: a person who opened twice and clicked link 0 twice; a machine open, a scanner click.
    event(d1, "opened", T0 + h)
    event(d1, "opened", T0 + h + timedelta(minutes=10))
    event(d1, "opened", T0 + timedelta(minutes=20), machine=True)
    event(d1, "clicked", T0 + h, url="https://shop.example/a", link=0)
    event(d1, "clicked", T0 + h, url="https://shop.example/a", link=0)
    event(
        d1, "clicked", T0 + timedelta(minutes=6), machine=True, url="https://shop.example/b", link=1
    )
    event(d1, "opened", T0 + 80 * h)  # after the 72 h timeline: counted, not charted
    # d2: Apple Mail Privacy Protection only.
    event(d2, "opened", T0 + timedelta(minutes=30), machine=True)
    # d5: opened, clicked a URL reported by a relay webhook (no link index), complained.
    event(d5, "opened", T0 + 2 * h)
    event(d5, "clicked", T0 + 3 * h, url="https://elsewhere.example/x")
    event(d5, "complained", T0 + 4 * h, feedback_type="abuse")
    # d6: a soft bounce, then an unsubscribe.
    event(d6, "soft_bounced", T0 + h, reason="mailbox_full", status="4.2.2")
    event(d6, "unsubscribed", T0 + 5 * h)
    return campaign


# --- campaign report ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_report_figures_keep_human_and_machine_apart(reported):
    r = reports.campaign_report(reported)
    c, rates = r.counts, r.rates
    assert (c.attempted, c.accepted, c.bounced, c.bounced_later, c.delivered) == (6, 5, 2, 1, 4)
    assert rates["bounce_rate"].text == "33.3 %"
    assert (c.soft_bounced, c.complaints, c.unsubscribed) == (1, 1, 1)
    # Complaints over attempts (as the guard and the reputation panel count them).
    assert rates["complaint_rate"].text == "16.7 %"
    assert (c.opens_human, c.opens_machine) == (2, 2)
    assert (c.clicks_human, c.clicks_machine) == (2, 1)
    assert rates["open_rate"].text == "50 %"
    assert rates["machine_click_rate"].text == "25 %"
    assert rates["click_to_open_rate"].text == "100 %"

    links = {link.index: link for link in r.links}
    assert (links[0].human_unique, links[0].human_total, links[0].machine_unique) == (1, 2, 0)
    assert (links[1].human_unique, links[1].machine_unique, links[1].machine_total) == (0, 1, 1)
    assert links[None].url == "https://elsewhere.example/x"
    assert links[None].human_unique == 1

    domains = [
        (d.domain, d.counts.attempted, d.counts.accepted, d.counts.bounced, d.counts.delivered)
        for d in r.domains
    ]
    assert domains == [
        ("gmail.com", 3, 3, 1, 2),
        ("yahoo.com", 2, 1, 1, 1),
        ("outlook.com", 1, 1, 0, 1),
    ]
    gmail, yahoo, outlook = ({k: rate.text for k, rate in d.rates.items()} for d in r.domains)
    assert (gmail["bounce_rate"], gmail["open_rate"], gmail["click_rate"]) == (
        "33.3 %",
        "50 %",
        "50 %",
    )
    assert (yahoo["bounce_rate"], yahoo["open_rate"], yahoo["click_rate"]) == (
        "50 %",
        "100 %",
        "100 %",
    )
    assert yahoo["complaint_rate"] == "50 %" and gmail["complaint_rate"] == "0 %"
    assert outlook["open_rate"] == "0 %"

    assert len(r.timeline) == 72
    assert r.timeline[0].at == T0
    by_hour = {h.hour: h for h in r.timeline}
    assert (by_hour[0].opens_machine, by_hour[0].clicks_machine) == (2, 1)
    assert (by_hour[1].opens_human, by_hour[1].clicks_human) == (2, 2)
    assert by_hour[2].opens_human == 1 and by_hour[3].clicks_human == 1
    assert sum(h.opens_human for h in r.timeline) == 3  # the open at +80 h is not charted


@pytest.mark.django_db
def test_report_page_shows_figures_tables_and_svg_chart(staff, reported):
    response = staff.get(f"/campaigns/{reported.pk}/report/")
    assert response.status_code == 200
    page = html(response)
    assert 'data-metric="opens_human"><dt>Opens (human, unique)</dt><dd><span class="value">2' in (
        page
    )
    assert "Opens (automated)" in page and "33.3 %" in page
    assert 'data-link="0"' in page and "https://shop.example/a" in page
    assert 'data-domain="gmail.com"' in page
    assert "<svg" in page and 'role="img"' in page and 'class="bar bar-opens"' in page
    assert 'class="line-machine"' in page
    assert "The chart as a table" in page and "2025-03-01 11:00" in page
    # linked from the campaign page
    assert f"/campaigns/{reported.pk}/report/" in html(staff.get(f"/campaigns/{reported.pk}/"))


@pytest.mark.django_db
def test_report_csv_export(staff, reported):
    CampaignLink.objects.create(campaign=reported, index=2, url="=HYPERLINK(1)")
    response = staff.get(f"/campaigns/{reported.pk}/report.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    summary = {row[0]: row[1:] for row in rows[2:13]}
    assert summary["Delivered"] == ["4", ""]
    assert summary["Hard bounced"] == ["2", "33.3 %"]
    assert summary["Opens (human, unique)"] == ["2", "50 %"]
    assert summary["Opens (automated)"] == ["2", "50 %"]
    assert ["0", "https://shop.example/a", "1", "2", "0", "0"] in rows
    assert ["2", "'=HYPERLINK(1)", "0", "0", "0", "0"] in rows  # no formula injection
    assert ["gmail.com", "3", "3", "1", "33.3 %", "50 %", "50 %", "0 %"] in rows
    assert ["2025-03-01 11:00", "2", "0", "2", "0"] in rows


@pytest.mark.django_db
def test_report_of_a_draft_has_no_timeline(staff, newsletter):
    campaign = make_campaign(newsletter)
    response = staff.get(f"/campaigns/{campaign.pk}/report/")
    assert response.status_code == 200
    assert "The timeline starts when the campaign is sent" in html(response)
    assert "<svg" not in html(response)
    assert staff.get(f"/campaigns/{campaign.pk}/report.csv").status_code == 200


def test_csv_cell_defuses_formulas():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("+x") == "'+x" and csv_cell("@a") == "'@a" and csv_cell("-2") == "'-2"
    assert csv_cell("a@b.example") == "a@b.example" and csv_cell(None) == ""


# --- stream analytics ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_stream_analytics_last_30_days(staff, newsletter):
    now = timezone.now()
    campaign = make_campaign(newsletter)
    S = Delivery.State
    recent = now - timedelta(days=2)
    m1 = delivery(campaign, "a@x.example", S.SENT, at=recent)
    delivery(campaign, "b@x.example", S.SENT, at=recent)
    delivery(campaign, "c@x.example", S.BOUNCED, at=recent)
    delivery(campaign, "d@x.example", S.SENT, at=now - timedelta(days=40))  # too old
    s1 = delivery(None, "e@y.example", S.SENT, stream="service", at=recent)
    event(m1, "opened", recent)
    event(m1, "opened", recent, machine=True)
    event(m1, "clicked", recent, machine=True)
    event(m1, "complained", recent)
    event(s1, "opened", recent, machine=True)

    figures = {f.stream: f for f in reports.stream_figures(now)}
    m, s = figures["marketing"].counts, figures["service"].counts
    assert (m.attempted, m.bounced, m.delivered, m.complaints) == (3, 1, 2, 1)
    assert (m.opens_human, m.opens_machine, m.clicks_human, m.clicks_machine) == (1, 1, 0, 1)
    rates = figures["marketing"].rates
    assert rates["bounce_rate"].text == "33.3 %" and rates["complaint_rate"].text == "33.3 %"
    assert (s.delivered, s.opens_human, s.opens_machine) == (1, 0, 1)

    response = staff.get("/delivery/analytics/")
    assert response.status_code == 200
    page = html(response)
    assert 'data-stream="marketing"' in page and 'data-stream="service"' in page
    assert 'aria-current="page">Analytics' in page
    assert "50 %" in page


# --- suppressions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_manual_suppression_writes_the_ledger(staff, newsletter):
    contact = make_contact("sam@example.com", newsletter)
    response = staff.post("/suppressions/", {"email": "sam@Example.COM", "note": "asked by phone"})
    assert response.status_code == 302
    entry = Suppression.objects.get()
    assert (entry.email, entry.reason, entry.detail) == (
        "sam@example.com",
        "manual",
        "asked by phone",
    )
    ledger = ConsentEvent.objects.filter(contact=contact, action="suppressed:manual").get()
    assert (ledger.channel, ledger.actor) == ("admin", "owner")
    page = html(staff.get("/suppressions/"))
    assert "sam@example.com" in page and "asked by phone" in page
    # again: reported, not duplicated
    response = staff.post("/suppressions/", {"email": "sam@example.com"}, follow=True)
    assert "already suppressed" in html(response)
    assert Suppression.objects.count() == 1


@pytest.mark.django_db
def test_add_refuses_an_invalid_address(staff):
    response = staff.post("/suppressions/", {"email": "not an address", "note": ""})
    assert response.status_code == 200
    assert 'class="errorlist' in html(response)
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_search_filter_and_pagination(staff):
    for i in range(60):
        do_suppress(f"user{i:02d}@example.com", "hard_bounce", "550 no such user")
    do_suppress("vip@other.example", "complaint", "abuse report")
    page = html(staff.get("/suppressions/?q=other.example"))
    assert "vip@other.example" in page and "user01@example.com" not in page
    page = html(staff.get("/suppressions/?reason=complaint"))
    assert "vip@other.example" in page and "user01@example.com" not in page
    first = html(staff.get("/suppressions/"))
    assert "Page 1 of 2" in first and "?page=2" in first
    second = html(staff.get("/suppressions/?reason=hard_bounce&page=2"))
    assert "Page 2 of 2" in second and "reason=hard_bounce" in second
    assert staff.get("/suppressions/?page=999").status_code == 200  # last page, not 404/500
    assert staff.get("/suppressions/?reason=bogus").status_code == 200


@pytest.mark.django_db
def test_erased_people_are_shown_and_exported_as_hash_only(staff, newsletter):
    contact = make_contact("gone@example.com", newsletter)
    digest = address_hash("gone@example.com")
    privacy.erase(contact, by=ADMIN)
    page = html(staff.get("/suppressions/"))
    assert "erased (hash only)" in page
    assert "gone@example.com" not in page
    assert digest[:12] in page
    # found by the address's hash, still without showing it in the table
    found = html(staff.get("/suppressions/?q=gone@example.com"))
    assert "erased (hash only)" in found
    export = staff.get("/suppressions/export.csv").content.decode()
    assert "gone@example.com" not in export
    assert f"hash:{digest}" in export


@pytest.mark.django_db
def test_import_reports_bad_lines_and_suppresses_the_rest(staff):
    do_suppress("known@example.com", "complaint", "abuse")
    body = (
        "# exported from the old tool\n"
        "one@example.com\n"
        "not-an-address\n"
        "\n"
        "Two@Example.ORG\n"
        "one@example.com\n"
        "known@example.com\n"
        "also bad@\n"
    )
    upload = SimpleUploadedFile("list.txt", body.encode(), content_type="text/plain")
    response = staff.post("/suppressions/import/", {"file": upload})
    assert response.status_code == 200
    page = html(response)
    rows = {s.email: s for s in Suppression.objects.all()}
    assert set(rows) == {"known@example.com", "one@example.com", "Two@example.org"}
    assert rows["one@example.com"].reason == "manual"
    assert rows["one@example.com"].detail == "imported"
    assert rows["known@example.com"].reason == "complaint"  # untouched
    assert 'data-testid="import-result"' in page
    assert "<strong>2</strong> addresses suppressed, 1 already on the list" in page
    invalid = page.split('class="invalid-line"')[1:]
    assert len(invalid) == 2
    assert '<td class="num">3</td>' in invalid[0] and "not-an-address" in invalid[0]
    assert '<td class="num">8</td>' in invalid[1]


@pytest.mark.django_db
def test_import_csv_with_an_email_column(staff):
    body = 'name,email\n"Ann",ann@example.com\nBob,bob@\n'
    upload = SimpleUploadedFile("list.csv", body.encode(), content_type="text/csv")
    page = html(staff.post("/suppressions/import/", {"file": upload}))
    assert list(Suppression.objects.values_list("email", flat=True)) == ["ann@example.com"]
    invalid = page.split('class="invalid-line"')[1:]
    assert len(invalid) == 1 and '<td class="num">3</td>' in invalid[0]


def test_parse_address_list_edge_cases():
    assert parse_address_list(b"") == ([], [])
    assert parse_address_list(b"\xff\xfe\x00bad")[1][0][2] == "the file is not UTF-8 text"
    valid, invalid = parse_address_list(b"email\r\nx@example.com\r\n")
    assert valid == [(2, "x@example.com")] and invalid == []
    valid, _ = parse_address_list(b"id;email\n1;y@example.com\n")
    assert valid == [(2, "y@example.com")]


@pytest.mark.django_db
def test_import_over_5_mb_is_refused(staff):
    big = SimpleUploadedFile("big.txt", b"a@example.com\n" * (5 * 1024 * 1024 // 14 + 10))
    response = staff.post("/suppressions/import/", {"file": big})
    assert response.status_code == 400
    assert "the limit is 5 MB" in html(response)
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_export_csv(staff):
    do_suppress("b@example.com", "hard_bounce", "550 5.1.1 user unknown")
    do_suppress("a@example.com", "manual", "=cmd|' /C calc'!A0")
    response = staff.get("/suppressions/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["email", "reason", "detail", "created_at"]
    assert [r[:3] for r in rows[1:]] == [
        ["b@example.com", "hard_bounce", "550 5.1.1 user unknown"],
        ["a@example.com", "manual", "'=cmd|' /C calc'!A0"],
    ]
    filtered = staff.get("/suppressions/export.csv?reason=manual").content.decode()
    assert "a@example.com" in filtered and "b@example.com" not in filtered


# --- inbound ------------------------------------------------------------------------------------


def inbound(**fields):
    defaults = {
        "source": "smtp",
        "mail_from": "MAILER-DAEMON@mx.example",
        "rcpt_to": "bounces+abc@mail.example",
        "received_at": timezone.now(),
        "raw": b"From: x\r\n\r\nbody",
    }
    return InboundMessage.objects.create(**(defaults | fields))


@pytest.mark.django_db
def test_inbound_log_shows_results_and_dead_letters(staff, newsletter):
    campaign = make_campaign(newsletter)
    d = delivery(campaign, "a@gmail.com", Delivery.State.BOUNCED)
    inbound(
        kind="bounce",
        delivery=d,
        result={
            "kind": "bounce",
            "recipients": [
                {
                    "address": "a@gmail.com",
                    "kind": "hard",
                    "reason": "user_unknown",
                    "status": "5.1.1",
                }
            ],
        },
    )
    broken = inbound(kind="unknown", error="ValueError: could not parse the report")
    page = html(staff.get("/inbound/"))
    assert "hard user_unknown 5.1.1" in page
    assert 'class="dead-letter"' in page and "Failed: ValueError: could not parse" in page
    assert f"delivery #{d.pk}" in page
    assert 'aria-current="page">Feedback' in page and 'aria-current="page">Inbound' in page
    only_failed = html(staff.get("/inbound/?failed=on"))
    assert "Failed: ValueError" in only_failed and "user_unknown" not in only_failed
    assert "user_unknown" in html(staff.get("/inbound/?kind=bounce"))
    detail = html(staff.get(f"/inbound/{broken.pk}/"))
    assert "Processing failed." in detail and "could not parse the report" in detail


@pytest.mark.django_db
def test_inbound_detail_shows_result_and_capped_raw(staff):
    msg = inbound(
        kind="complaint",
        result={"kind": "complaint", "feedback_type": "abuse"},
        raw=b"Subject: caf\xe9 <b>\r\n\r\n" + b"x" * (300 * 1024),
    )
    response = staff.get(f"/inbound/{msg.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert "&quot;feedback_type&quot;: &quot;abuse&quot;" in page
    assert "caf\ufffd &lt;b&gt;" in page  # decoded with replacement, escaped
    assert "The first 200.0\xa0KB of 300.0\xa0KB are shown." in page
    assert page.count("x" * 1000) >= 1 and "x" * (201 * 1024) not in page


# --- webhooks -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_webhook_create_shows_the_secret_once(staff):
    bad = staff.post("/webhooks/", {"url": "ftp://hooks.example/x", "description": ""})
    assert bad.status_code == 200
    assert "must start with http:// or https://" in html(bad)
    assert not WebhookEndpoint.objects.exists()
    response = staff.post(
        "/webhooks/",
        {
            "url": "https://hooks.example/mw",
            "event_types": ["bounced", "complained"],
            "description": "CRM",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["bounced", "complained"]
    page = html(response)
    assert endpoint.secret in page
    assert "Mailwright-Signature" in page and "shown only this once" in page
    assert response["Cache-Control"] == "no-store"
    assert endpoint.secret not in html(staff.get("/webhooks/"))
    assert endpoint.secret not in html(staff.get(f"/webhooks/{endpoint.pk}/"))


@pytest.mark.django_db
def test_webhook_refuses_unknown_event_types(staff):
    response = staff.post("/webhooks/", {"url": "https://hooks.example/", "event_types": ["x"]})
    assert 'class="errorlist' in html(response)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_webhook_enable_disable_delete_and_log(staff):
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example/", secret="s" * 20)
    now = timezone.now()
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="bounced",
        payload={},
        state="failed",
        attempts=7,
        next_attempt_at=now,
        last_status=500,
        last_error="HTTP 500",
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="opened",
        payload={},
        state="sent",
        attempts=1,
        next_attempt_at=now,
        last_status=200,
        delivered_at=now,
    )
    listing = html(staff.get("/webhooks/"))
    assert "https://hooks.example/" in listing and "s" * 20 not in listing
    log = html(staff.get(f"/webhooks/{endpoint.pk}/"))
    assert "HTTP 500" in log and "bounced" in log and "opened" in log and "500" in log
    failed_only = html(staff.get(f"/webhooks/{endpoint.pk}/?state=failed"))
    assert "HTTP 500" in failed_only and "<td>opened</td>" not in failed_only
    assert staff.post(f"/webhooks/{endpoint.pk}/disable/").status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    staff.post(f"/webhooks/{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert staff.get(f"/webhooks/{endpoint.pk}/delete/").status_code == 405
    staff.post(f"/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


# --- contact timeline ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_timeline_shows_every_event_newest_first(staff, newsletter):
    contact = make_contact("tl@example.com", newsletter)
    campaign = make_campaign(newsletter)
    d = delivery(campaign, contact.email, Delivery.State.SENT, contact=contact)
    event(d, "sent", T0, message_id="<m1@mail.example>")
    event(d, "opened", T0 + timedelta(minutes=1), machine=True, machine_reason="Apple MPP")
    event(d, "clicked", T0 + timedelta(hours=2), url="https://shop.example/a", link=0)
    event(d, "bounced", T0 + timedelta(hours=3), reason="user_unknown", status="5.1.1")
    page = html(staff.get(f"/contacts/{contact.pk}/"))
    assert ">automated</span>" in page and "Apple MPP" in page
    assert "https://shop.example/a" in page and "user_unknown" in page
    # The consent ledger is merged in: the subscription is from today, the events from T0.
    kinds = ("subscribed", "bounced", "clicked", "opened", "sent")
    order = [page.index(f'data-event="{t}"') for t in kinds]
    assert order == sorted(order)
    assert 'data-event="subscribed" data-source="consent"' in page
    assert "none → confirmed" not in page and "— → confirmed" in page
    assert "Welcome campaign" in page


@pytest.mark.django_db
def test_contact_timeline_is_paginated(staff, newsletter):
    contact = make_contact("busy@example.com", newsletter)
    campaign = make_campaign(newsletter)
    d = delivery(campaign, contact.email, Delivery.State.SENT, contact=contact)
    for i in range(55):
        event(d, "opened", T0 + timedelta(minutes=i))
    page = html(staff.get(f"/contacts/{contact.pk}/"))
    assert (
        "Page 1 of 2 (56 events)" in page
    )  # 55 opens and the subscription and "?events=2" in page
    second = html(staff.get(f"/contacts/{contact.pk}/?events=2"))
    assert second.count('data-event="opened"') == 6  # the subscription (today) is on page 1


# --- access -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_need_login(client, reported):
    for url in [
        f"/campaigns/{reported.pk}/report/",
        f"/campaigns/{reported.pk}/report.csv",
        "/delivery/analytics/",
        "/feedback/",
        "/suppressions/",
        "/suppressions/export.csv",
        "/inbound/",
        "/webhooks/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    for url in ["/suppressions/", "/suppressions/import/", "/webhooks/"]:
        assert client.post(url, {"email": "x@example.com", "url": "https://h/"}).status_code == 302
    assert not Suppression.objects.exists() and not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_posts_need_the_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example/", secret="s")
    assert client.post("/suppressions/", {"email": "x@example.com"}).status_code == 403
    assert client.post("/webhooks/", {"url": "https://h.example/"}).status_code == 403
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 403
    upload = SimpleUploadedFile("l.txt", b"x@example.com\n")
    assert client.post("/suppressions/import/", {"file": upload}).status_code == 403
    assert not Suppression.objects.exists() and WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
def test_missing_things_are_404(staff):
    for url in [
        "/campaigns/999/report/",
        "/campaigns/999/report.csv",
        "/inbound/999/",
        "/webhooks/999/",
    ]:
        assert staff.get(url).status_code == 404, url
    for url in ["/webhooks/999/delete/", "/webhooks/999/enable/", "/webhooks/999/disable/"]:
        assert staff.post(url).status_code == 404, url


@pytest.mark.django_db
def test_feedback_navigation(staff):
    assert staff.get("/feedback/")["Location"] == "/suppressions/"
    page = html(staff.get("/webhooks/"))
    assert 'aria-current="page">Feedback' in page
    assert 'aria-current="page">Webhooks' in page
    assert 'href="/inbound/"' in page and 'href="/suppressions/"' in page
