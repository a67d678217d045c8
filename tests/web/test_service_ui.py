"""Service → Templates and Service → Messages through the Django test client: copying a
starter, editing a language (errors named with their line), the live preview, the missing-
language state, refusals on starters, the messages list's search and filters, a message's
page (state, relay reply, events, content, captured headers), and the dashboard's service
volume and latency. The browser test (copy, edit the Polish subject, watch the preview) is
tests/e2e/test_service_templates.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mailwright.audit.models import AuditEntry
from mailwright.campaigns.models import Template, TemplateTranslation
from mailwright.delivery.models import CapturedMessage, Delivery
from mailwright.feedback.models import Event
from mailwright.transactional.models import Message
from tests.conftest import run_worker

FIELDS = {
    "reset_url": {
        "type": "url",
        "required": True,
        "description": "The one-time link",
        "example": "https://shop.example.com/reset/abc",
    },
    "minutes": {"type": "integer", "description": "How long it works", "example": 30},
}
EN_HTML = (
    '<p>Hello {{ contact.email }}, <a href="{{ data.reset_url }}">reset</a>'
    " within {{ data.minutes }} min.</p>"
)
PL_HTML = '<p>Cześć, <a href="{{ data.reset_url }}">zmień hasło</a> w {{ data.minutes }} min.</p>'


def make_starter(key="demo-reset", **extra) -> Template:
    tpl = Template.objects.create(
        kind="service",
        key=key,
        name="Password reset",
        language="en",
        description="A link to choose a new password.",
        fields=FIELDS,
        starter=True,
        subject="Reset your password",
        html=EN_HTML,
        text="Reset: {{ data.reset_url }}",
        **extra,
    )
    TemplateTranslation.objects.create(
        template=tpl, language="pl", subject="Zmień hasło", html=PL_HTML, text=""
    )
    return tpl


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def starter(db):
    return make_starter()


@pytest.fixture
def own(staff, starter):
    """An editable copy of the starter, made through the UI."""
    staff.post(
        f"/service/templates/{starter.pk}/copy/",
        {"key": "demo-reset-copy", "name": "Our reset"},
    )
    return Template.objects.get(key="demo-reset-copy")


# --- templates ----------------------------------------------------------------------------------


def test_list_shows_keys_languages_starter_badge_and_30_day_count(staff, starter):
    now = timezone.now()
    for days in (1, 5, 40):
        Message.objects.create(
            template=starter,
            template_key=starter.key,
            to_email="a@example.com",
            created_at=now - timedelta(days=days),
        )
    Template.objects.create(name="Newsletter", subject="s", html="<p>x</p>")  # marketing
    body = staff.get("/service/templates/").content.decode()
    assert "demo-reset" in body
    assert "badge-starter" in body
    row = body.split('data-key="demo-reset"')[1].split("</tr>")[0]
    assert '<span class="tag">en</span><span class="tag">pl</span>' in row
    assert '<td class="num">2</td>' in row  # 40 days ago is not counted
    assert "Newsletter" not in body


def test_template_page_previews_each_language_with_example_data(staff, starter):
    body = staff.get(f"/service/templates/{starter.pk}/?lang=pl").content.decode()
    assert "Zmień hasło" in body  # the Polish subject, rendered
    assert "zmień hasło</a> w 30 min." in body.replace("&lt;", "<").replace("&gt;", ">")
    assert "https://shop.example.com/reset/abc" in body  # the field's example
    assert 'sandbox=""' in body
    assert "Copy to edit" in body
    assert "data.reset_url" in body and "The one-time link" in body  # the fields table


def test_missing_language_says_it_sends_in_english(staff, starter):
    body = staff.get(f"/service/templates/{starter.pk}/?lang=tr").content.decode()
    assert "Not translated yet: sends in English" in body
    assert "Reset your password" in body  # the fallback preview


def test_unknown_template_language_and_marketing_templates_are_404(staff, starter):
    marketing = Template.objects.create(name="N", subject="s", html="<p>x</p>")
    assert staff.get("/service/templates/999999/").status_code == 404
    assert staff.get(f"/service/templates/{marketing.pk}/").status_code == 404
    assert staff.get(f"/service/templates/{starter.pk}/?lang=xx").status_code == 404
    assert staff.get("/service/messages/999999/").status_code == 404


def test_copy_of_a_library_starter_is_key_copy_with_every_language(staff):
    starter = Template.objects.get(key="password-reset", starter=True)  # synced on migrate
    languages = set(starter.translations.values_list("language", flat=True))
    assert len(languages) >= 1
    page = staff.get(f"/service/templates/{starter.pk}/copy/").content.decode()
    assert 'value="password-reset-copy"' in page
    response = staff.post(
        f"/service/templates/{starter.pk}/copy/",
        {"key": "password-reset-copy", "name": "Our reset"},
    )
    copy = Template.objects.get(key="password-reset-copy")
    assert response.status_code == 302 and response.url == f"/service/templates/{copy.pk}/"
    assert copy.starter is False and copy.kind == "service" and copy.fields == starter.fields
    assert starter.mjml.startswith("<!-- mailwright starter password-reset sha256:")
    assert copy.subject == starter.subject and copy.html == starter.html
    assert copy.mjml.startswith("<mjml") and copy.mjml in starter.mjml  # no starter mark
    assert set(copy.translations.values_list("language", flat=True)) == languages
    assert AuditEntry.objects.filter(action="template.copy", object_id=str(copy.pk)).exists()
    # the next copy's default key does not collide
    page = staff.get(f"/service/templates/{starter.pk}/copy/").content.decode()
    assert 'value="password-reset-copy-2"' in page


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("Bad Key!", "is not valid: use lowercase letters, digits and hyphens"),
        ("password-reset", "is taken by another template"),
    ],
)
def test_copy_with_a_bad_or_taken_key_is_refused(staff, starter, key, error):
    before = Template.objects.count()
    response = staff.post(f"/service/templates/{starter.pk}/copy/", {"key": key, "name": "X"})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert Template.objects.count() == before


def test_editing_a_starter_is_refused(staff, starter):
    response = staff.post(
        f"/service/templates/{starter.pk}/?lang=en",
        {"subject": "Hacked", "source_format": "html", "source": "<p>x</p>"},
    )
    assert response.status_code == 400
    assert "starter template: it cannot be changed. Copy it to edit." in response.content.decode()
    response = staff.post(f"/service/templates/{starter.pk}/delete/")
    assert Template.objects.filter(pk=starter.pk).exists()
    follow = staff.get(response.url).content.decode()
    assert "is a starter template and cannot be changed; copy it to edit" in follow
    starter.refresh_from_db()
    assert starter.subject == "Reset your password"


def test_save_a_polish_subject_and_add_a_turkish_version(staff, own):
    response = staff.post(
        f"/service/templates/{own.pk}/?lang=pl",
        {"subject": "Nowe hasło", "source_format": "html", "source": PL_HTML, "text": ""},
    )
    assert response.status_code == 302
    assert own.translations.get(language="pl").subject == "Nowe hasło"
    staff.post(
        f"/service/templates/{own.pk}/?lang=tr",
        {"subject": "Şifre", "source_format": "html", "source": "<p>{{ data.reset_url }}</p>"},
    )
    assert own.translations.get(language="tr").subject == "Şifre"
    body = staff.get(f"/service/templates/{own.pk}/?lang=tr").content.decode()
    assert "Not translated yet" not in body
    assert AuditEntry.objects.filter(action="template.translation.add").count() == 1


def test_an_undeclared_data_field_is_warned_about(staff, own):
    staff.post(
        f"/service/templates/{own.pk}/?lang=en",
        {"subject": "Reset", "source_format": "html", "source": "<p>{{ data.coupon }}</p>"},
    )
    body = staff.get(f"/service/templates/{own.pk}/").content.decode()
    warnings = body.split('data-testid="lint-warnings"')[1].split("</div>")[0]
    assert "html (en)" in warnings and "data.coupon is used but not declared" in warnings


def test_mjml_source_is_compiled_on_save(staff, own):
    mjml = (
        "<mjml><mj-body><mj-section><mj-column><mj-text>{{ data.reset_url }}</mj-text>"
        "</mj-column></mj-section></mj-body></mjml>"
    )
    response = staff.post(
        f"/service/templates/{own.pk}/?lang=en",
        {"subject": "Reset", "source_format": "mjml", "source": mjml},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.mjml == mjml and "<table" in own.html


def test_invalid_template_syntax_is_a_form_error_naming_the_line(staff, own):
    response = staff.post(
        f"/service/templates/{own.pk}/?lang=en",
        {"subject": "Reset", "source_format": "html", "source": "<p>ok</p>\n<p>{% if %}</p>"},
    )
    assert response.status_code == 400
    assert "html, line 2" in response.content.decode()
    own.refresh_from_db()
    assert own.html == EN_HTML


def test_live_preview_renders_the_unsaved_source(staff, own):
    response = staff.post(
        f"/service/templates/{own.pk}/preview/?lang=pl",
        {"subject": "Hasło dla {{ contact.email }}", "source_format": "html", "source": PL_HTML},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hasło dla sample@example.com" in body
    bad = staff.post(
        f"/service/templates/{own.pk}/preview/?lang=pl",
        {"subject": "x", "source_format": "html", "source": "{{ data.reset_url"},
    ).content.decode()
    assert "html, line 1" in bad and "preview-error" in bad
    assert own.translations.get(language="pl").subject == "Zmień hasło"  # nothing saved


def test_settings_change_fields_and_bad_json_is_named(staff, own):
    url = f"/service/templates/{own.pk}/settings/"
    bad = staff.post(url, {"name": "Our reset", "fields": '{"a": '})
    assert bad.status_code == 400 and "is not valid JSON" in bad.content.decode()
    bad = staff.post(url, {"name": "Our reset", "fields": '{"a": {"type": "colour"}}'})
    assert "a: unknown type &#x27;colour&#x27;" in bad.content.decode()
    ok = staff.post(
        url,
        {"name": "Renamed", "fields": '{"code": {"type": "string", "example": "123456"}}'},
    )
    assert ok.status_code == 302
    own.refresh_from_db()
    assert own.name == "Renamed" and own.fields == {"code": {"type": "string", "example": "123456"}}


def test_delete_a_copy(staff, own):
    response = staff.post(f"/service/templates/{own.pk}/delete/")
    assert response.status_code == 302
    assert not Template.objects.filter(pk=own.pk).exists()
    assert AuditEntry.objects.filter(action="template.delete", object_id=str(own.pk)).exists()


# --- messages -----------------------------------------------------------------------------------


def make_message(to, template, state="sent", *, minutes_ago=0, latency=None, **extra):
    now = timezone.now()
    created = now - timedelta(minutes=minutes_ago)
    delivery = None
    if state != "refused":
        delivery = Delivery.objects.create(
            email=to,
            stream="service",
            state=state,
            content={"subject": f"Reset for {to}", "html": f"<p>Hi {to}</p>", "text": f"Hi {to}"},
            next_attempt_at=created,
            created_at=created,
            updated_at=now,
            sent_at=created + timedelta(seconds=latency or 1) if state == "sent" else None,
            last_code=250 if state == "sent" else 550,
            last_reply="2.0.0 Ok: queued as ABC" if state == "sent" else "5.1.1 user unknown",
            message_id=extra.pop("message_id", ""),
        )
    return Message.objects.create(
        template=template,
        template_key=template.key,
        to_email=to,
        language="en",
        delivery=delivery,
        refused_reason="recipient is suppressed (hard bounce)" if delivery is None else "",
        created_at=created,
        **extra,
    )


def test_messages_list_search_filter_and_paging(staff, starter):
    other = make_starter("demo-shipped")
    make_message("ana@example.com", starter, "sent")
    make_message("ben@example.com", starter, "bounced")
    make_message("cem@example.com", other, "queued")
    make_message("dan@example.com", other, "refused")
    body = staff.get("/service/messages/").content.decode()
    assert all(f"{n}@example.com" in body for n in ("ana", "ben", "cem", "dan"))
    body = staff.get("/service/messages/?q=BEN@").content.decode()
    assert "ben@example.com" in body and "ana@example.com" not in body
    body = staff.get("/service/messages/?state=refused").content.decode()
    assert "dan@example.com" in body and "cem@example.com" not in body
    body = staff.get("/service/messages/?template=demo-shipped&state=queued").content.decode()
    assert "cem@example.com" in body and "dan@example.com" not in body
    bad = staff.get("/service/messages/?state=lost")
    assert bad.status_code == 400 and "unknown state &#x27;lost&#x27;" in bad.content.decode()
    for i in range(60):
        make_message(f"p{i}@example.com", other, "sent")
    page2 = staff.get("/service/messages/?template=demo-shipped&page=2").content.decode()
    assert "Page 2 of 2 (62 in all)" in page2
    assert "template=demo-shipped" in page2  # paging keeps the filter


def test_message_page_shows_state_reply_events_and_content(staff, starter):
    message = make_message("ana@example.com", starter, "bounced")
    Event.objects.create(type="queued", delivery=message.delivery, created_at=message.created_at)
    Event.objects.create(
        type="bounced",
        delivery=message.delivery,
        data={"reason": "5.1.1 user unknown"},
        created_at=timezone.now(),
    )
    body = staff.get(f"/service/messages/{message.pk}/").content.decode()
    assert 'data-testid="message-state">bounced' in body
    assert "550 5.1.1 user unknown" in body
    events = body.split('data-testid="events"')[1].split("</ol>")[0]
    assert events.index("queued") < events.index("bounced")
    text = staff.get(f"/service/messages/{message.pk}/?tab=text").content.decode()
    assert "Hi ana@example.com" in text
    html = staff.get(f"/service/messages/{message.pk}/html/")
    assert html["Content-Security-Policy"].startswith("sandbox")
    assert b"<p>Hi ana@example.com</p>" in html.content
    headers = staff.get(f"/service/messages/{message.pk}/?tab=headers").content.decode()
    assert "only for mail the local capture relay received" in headers


def test_message_headers_come_from_the_captured_copy(staff, starter):
    message = make_message("ana@example.com", starter, "sent", message_id="<m1@mw.test>")
    raw = (
        b"From: Shop <shop@example.com>\r\nTo: ana@example.com\r\nSubject: Reset\r\n"
        b"Message-ID: <m1@mw.test>\r\nContent-Type: text/plain\r\n\r\nCaptured body\r\n"
    )
    CapturedMessage.objects.create(
        to="ana@example.com",
        subject="Reset",
        message_id="<m1@mw.test>",
        size=len(raw),
        raw=raw,
        received_at=timezone.now(),
    )
    body = staff.get(f"/service/messages/{message.pk}/?tab=headers").content.decode()
    assert "Shop &lt;shop@example.com&gt;" in body and "&lt;m1@mw.test&gt;" in body


def test_refused_message_says_why(staff, starter):
    message = make_message("dan@example.com", starter, "refused")
    body = staff.get(f"/service/messages/{message.pk}/").content.decode()
    assert 'data-testid="message-state">refused' in body
    assert "recipient is suppressed (hard bounce)" in body


# --- send a test -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_send_a_test_then_see_it_sent_with_captured_headers(client, admin_user, capture_relay):
    client.force_login(admin_user)
    starter = make_starter()
    page = client.get(f"/service/templates/{starter.pk}/?lang=pl").content.decode()
    assert "https://shop.example.com/reset/abc" in page  # the data is prefilled: the example
    response = client.post(
        f"/service/templates/{starter.pk}/test/",
        {
            "to": "qa@example.com",
            "language": "pl",
            "data": '{"reset_url": "https://shop.example.com/r/1", "minutes": 15}',
        },
    )
    message = Message.objects.get(to_email="qa@example.com")
    assert response.status_code == 302 and response.url == f"/service/messages/{message.pk}/"
    assert "Test queued to qa@example.com" in client.get(response.url).content.decode()
    assert run_worker(capture_relay) == 1
    body = client.get(f"/service/messages/{message.pk}/?tab=headers").content.decode()
    assert 'data-testid="message-state">sent' in body
    assert "Zmień hasło" in body  # the Polish subject, from the captured copy's headers
    assert 'data-testid="relay-reply">250' in body
    events = body.split('data-testid="events"')[1].split("</ol>")[0]
    assert "queued" in events and "sent" in events
    html = client.get(f"/service/messages/{message.pk}/html/").content.decode()
    assert "https://shop.example.com/r/1" in html and "w 15 min." in html


def test_send_a_test_with_a_missing_field_names_it(staff, starter):
    response = staff.post(
        f"/service/templates/{starter.pk}/test/",
        {"to": "qa@example.com", "language": "en", "data": '{"minutes": 5}'},
    )
    assert response.status_code == 400
    assert "data.reset_url: is required by this template" in response.content.decode()
    bad = staff.post(
        f"/service/templates/{starter.pk}/test/",
        {"to": "not-an-address", "language": "en", "data": "[1]"},
    ).content.decode()
    assert "Enter a valid email address." in bad and "must be a JSON object" in bad
    assert not Message.objects.exists()


# --- dashboard ----------------------------------------------------------------------------------


def test_dashboard_shows_service_volume_and_latency(staff, starter):
    for i, seconds in enumerate([1, 2, 3, 4, 10]):
        make_message(f"s{i}@example.com", starter, "sent", latency=seconds)
    make_message("b@example.com", starter, "bounced")
    make_message("old@example.com", starter, "sent", minutes_ago=3 * 24 * 60, latency=100)
    body = staff.get("/").content.decode()
    tile = body.split('data-testid="service-tile"')[1].split("</section>")[0]
    assert 'data-testid="service-today">6<' in tile
    assert 'data-testid="service-week">7<' in tile
    assert "<dt>sent</dt><dd>6</dd>" in tile and "<dt>bounced</dt><dd>1</dd>" in tile
    assert 'data-testid="latency-p50">3.0 s<' in tile  # the old 100 s one is outside 24 h
    assert 'data-testid="latency-p95">10.0 s<' in tile
