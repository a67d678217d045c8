"""The staff UI through Django's test client: login, every page, the forms, campaign actions
and the Outbox → Captured message viewer."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.models import Campaign, Template
from mailwright.consent.models import ConsentEvent
from mailwright.contacts.models import Contact, Subscription, Topic
from mailwright.delivery.models import CapturedMessage, Delivery
from tests.conftest import make_campaign, make_contact, run_worker

PASSWORD = "correct horse battery"

STAFF_URLS = [
    "/",
    "/contacts/",
    "/contacts/new/",
    "/topics/",
    "/templates/",
    "/templates/new/",
    "/campaigns/",
    "/campaigns/new/",
    "/outbox/",
    "/account/password/",
]


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def captured(raw: bytes, to: str = "ana@example.com", subject: str = "Hi") -> CapturedMessage:
    return CapturedMessage.objects.create(
        mail_from="bounce@example.com",
        recipients=[to],
        to=to,
        subject=subject,
        size=len(raw),
        raw=raw,
        received_at=timezone.now(),
    )


def multipart(subject: str = "Spring news") -> bytes:
    msg = EmailMessage()
    msg["From"] = "News <news@example.com>"
    msg["To"] = "ana@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = "<abc@example.com>"
    msg["List-Unsubscribe"] = "<https://example.com/u/x>"
    msg.set_content("Hello Ana, plain words.\n")
    msg.add_alternative("<h1>Hello Ana</h1><script>alert(1)</script>", subtype="html")
    return bytes(msg)


# --- auth -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", [*STAFF_URLS, "/contacts/1/", "/campaigns/1/counts/", "/outbox/1/html/"]
)
def test_staff_pages_redirect_anonymous_users_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_form_signs_in_and_redirects_to_dashboard(client, admin_user):
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content and b'<label for="id_username"' in page.content

    response = client.post("/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused(client, admin_user):
    response = client.post("/login/", {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_login_is_rate_limited_after_ten_failures(client, admin_user):
    cache.clear()
    for _ in range(10):
        client.post("/login/", {"username": "owner", "password": "wrong"})
    response = client.post("/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_logout_is_a_post(staff):
    assert staff.get("/logout/").status_code == 405
    response = staff.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert staff.get("/").status_code == 302


def test_password_change(staff):
    page = staff.get("/account/password/")
    assert b"Change password" in page.content
    response = staff.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer new secret 42",
            "new_password2": "a much longer new secret 42",
        },
        follow=True,
    )
    assert b"Your password is changed." in response.content
    staff.post("/logout/")
    assert staff.login(username="owner", password="a much longer new secret 42")


def test_csrf_is_enforced_on_forms(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post("/topics/", {"key": "news", "name": "News"})
    assert response.status_code == 403
    assert not Topic.objects.exists()


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", STAFF_URLS)
def test_every_page_renders_with_data(staff, newsletter, url):
    make_contact("ana@example.com", newsletter, name="Ana Nowak")
    make_campaign(newsletter)
    captured(multipart())
    response = staff.get(url)
    assert response.status_code == 200
    assert b"Outbox" in response.content  # the navigation is there


def test_dashboard_counts(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    campaign = make_campaign(newsletter)
    response = staff.get("/")
    assert response.context["contacts_total"] == 1
    assert ("active", 1) in response.context["contacts_by_status"]
    assert ("draft", 1) in response.context["campaigns_by_state"]
    assert campaign.name.encode() in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/999/",
        "/templates/999/edit/",
        "/templates/999/preview/",
        "/campaigns/999/",
        "/campaigns/999/counts/",
        "/campaigns/999/send/",
        "/outbox/999/",
        "/outbox/999/html/",
        "/outbox/999/raw/",
    ],
)
def test_unknown_ids_are_404(staff, url):
    assert staff.get(url).status_code == 404


def test_unknown_campaign_action_is_404(staff, newsletter):
    campaign = make_campaign(newsletter)
    assert staff.post(f"/campaigns/{campaign.id}/explode/").status_code == 404
    assert staff.post("/campaigns/999/pause/").status_code == 404


# --- topics and contacts --------------------------------------------------------------------


def test_create_topic_and_duplicate_key_is_a_form_error(staff):
    response = staff.post(
        "/topics/", {"key": "news", "name": "News", "consent_text": "Send me news"}, follow=True
    )
    assert b"Topic \xe2\x80\x9cNews\xe2\x80\x9d created." in response.content
    assert Topic.objects.get(key="news").consent_text == "Send me news"

    response = staff.post("/topics/", {"key": "news", "name": "Other"})
    assert response.status_code == 200
    assert b"Topic with this Key already exists." in response.content
    assert Topic.objects.count() == 1


def test_contact_list_search_and_pagination(staff):
    for i in range(55):
        make_contact(f"person{i:02d}@example.com", name=f"Person {i}")
    make_contact("zed@example.org", name="Zoë Quill")
    page1 = staff.get("/contacts/")
    assert len(page1.context["page"].object_list) == 50
    assert b"Page 1 of 2" in page1.content
    assert len(staff.get("/contacts/?page=2").context["page"].object_list) == 6
    found = staff.get("/contacts/?q=quill")
    assert [c.email for c in found.context["page"]] == ["zed@example.org"]
    assert [c.email for c in staff.get("/contacts/?q=EXAMPLE.ORG").context["page"]] == [
        "zed@example.org"
    ]


def test_add_contact_confirmed_on_a_topic_records_consent(staff, newsletter):
    response = staff.post(
        "/contacts/new/",
        {
            "email": "ana@Example.COM",
            "name": "Ana Nowak",
            "language": "pl",
            "topics": ["newsletter"],
            "basis": "signed up at the fair",
        },
        HTTP_USER_AGENT="pytest-browser",
    )
    contact = Contact.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.id}/"
    assert contact.email == "ana@example.com" and contact.language == "pl"
    sub = Subscription.objects.get(contact=contact)
    assert sub.state == "confirmed" and sub.basis == "signed up at the fair"
    event = ConsentEvent.objects.get(contact=contact)
    assert (event.channel, event.actor, event.user_agent) == ("admin", "owner", "pytest-browser")

    detail = staff.get(f"/contacts/{contact.id}/")
    assert b"signed up at the fair" in detail.content
    assert b"Newsletter" in detail.content and b"admin" in detail.content


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "not-an-email"}, b"email"),
        ({"email": "a@example.com", "topics": ["newsletter"]}, b"Say how these topics"),
        ({"email": "a@example.com", "language": "xx"}, b"Select a valid choice"),
    ],
)
def test_add_contact_errors_are_shown_next_to_the_field(staff, newsletter, data, error):
    response = staff.post("/contacts/new/", {"name": "", "language": "en", **data})
    assert response.status_code == 200
    assert error in response.content
    assert b'class="errorlist' in response.content
    assert not Contact.objects.exists()


def test_add_contact_bad_email_error_comes_from_the_domain(staff):
    response = staff.post("/contacts/new/", {"email": "ana@@example", "language": "en"})
    assert response.context["form"].errors["email"]
    assert not Contact.objects.exists()


def test_add_existing_contact_is_refused(staff):
    make_contact("ana@example.com")
    response = staff.post("/contacts/new/", {"email": "ana@example.com", "language": "en"})
    assert b"already exists" in response.content
    assert Contact.objects.count() == 1


# --- templates ------------------------------------------------------------------------------

HTML = (
    "<h1>Hi {{ contact.first_name|default('there') }}</h1>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


def test_create_edit_and_preview_html_template(staff):
    response = staff.post(
        "/templates/new/",
        {
            "name": "Welcome",
            "subject": "Hello {{ contact.first_name }}",
            "source_format": "html",
            "source": HTML,
            "text": "",
        },
    )
    tpl = Template.objects.get(kind="marketing")
    assert response["Location"] == f"/templates/{tpl.id}/preview/"
    preview = staff.get(f"/templates/{tpl.id}/preview/")
    assert b"Hello Sam" in preview.content
    assert b'sandbox=""' in preview.content and b"srcdoc=" in preview.content
    assert b"&lt;h1&gt;Hi Sam&lt;/h1&gt;" in preview.content  # escaped into srcdoc
    assert b"Hi Sam" in preview.content  # the generated text part

    edit = staff.get(f"/templates/{tpl.id}/edit/")
    assert edit.context["form"].initial["source"] == HTML
    staff.post(
        f"/templates/{tpl.id}/edit/",
        {
            "name": "Welcome 2",
            "subject": "Hi",
            "source_format": "html",
            "source": HTML,
            "text": "Plain {{ contact.email }}",
        },
    )
    tpl.refresh_from_db()
    assert (tpl.name, tpl.text) == ("Welcome 2", "Plain {{ contact.email }}")
    assert Template.objects.filter(kind="marketing").count() == 1


def test_create_mjml_template(staff):
    mjml = (
        "<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ contact.first_name }}"
        "</mj-text></mj-column></mj-section></mj-body></mjml>"
    )
    staff.post(
        "/templates/new/",
        {"name": "M", "subject": "S", "source_format": "mjml", "source": mjml},
    )
    tpl = Template.objects.get(kind="marketing")
    assert tpl.mjml == mjml and "Hello {{ contact.first_name }}" in tpl.html
    assert staff.get(f"/templates/{tpl.id}/edit/").context["form"].initial["source_format"] == (
        "mjml"
    )


def test_template_syntax_error_names_the_part_and_line(staff):
    response = staff.post(
        "/templates/new/",
        {
            "name": "Broken",
            "subject": "S",
            "source_format": "html",
            "source": "<p>fine</p>\n<p>{% if %}</p>",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["source"]
    assert "html, line 2" in errors[0]
    assert b"html, line 2" in response.content
    assert not Template.objects.filter(kind="marketing").exists()


def test_template_error_in_text_part_is_shown_on_the_text_field(staff):
    response = staff.post(
        "/templates/new/",
        {
            "name": "T",
            "subject": "S",
            "source_format": "html",
            "source": "<p>x</p>",
            "text": "one\ntwo\n{{ oops(",
        },
    )
    assert "text, line 3" in response.context["form"].errors["text"][0]


# --- campaigns ------------------------------------------------------------------------------


def test_create_campaign_through_the_form(staff, newsletter):
    tpl = make_campaign(newsletter).template
    response = staff.post(
        "/campaigns/new/",
        {
            "name": "Spring",
            "template": tpl.id,
            "topics": ["newsletter"],
            "from_email": "News@Example.com",
            "from_name": "News",
            "reply_to": "",
        },
    )
    campaign = Campaign.objects.get(name="Spring")
    assert response["Location"] == f"/campaigns/{campaign.id}/"
    assert campaign.from_email == "news@example.com"
    assert list(campaign.topics.values_list("key", flat=True)) == ["newsletter"]
    detail = staff.get(f"/campaigns/{campaign.id}/")
    assert b"draft" in detail.content and b"Send" in detail.content
    assert b'hx-trigger="every 2s"' not in detail.content


def test_campaign_form_errors(staff, newsletter):
    tpl = make_campaign(newsletter).template
    response = staff.post("/campaigns/new/", {"name": "X", "template": tpl.id})
    assert response.context["form"].errors["topics"]
    response = staff.post(
        "/campaigns/new/",
        {"name": "X", "template": tpl.id, "topics": ["newsletter"], "from_email": "bad@@x"},
    )
    assert response.context["form"].errors["from_email"]
    assert Campaign.objects.count() == 1


def test_send_pause_resume_cancel(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    make_contact("bob@example.com", newsletter)
    campaign = make_campaign(newsletter)

    confirm = staff.get(f"/campaigns/{campaign.id}/send/")
    assert confirm.context["audience"] == 2 and b"Send now" in confirm.content

    response = staff.post(f"/campaigns/{campaign.id}/send/", follow=True)
    assert b"Sending started." in response.content
    campaign.refresh_from_db()
    assert campaign.state == "sending" and campaign.recipients_total == 2
    assert b'hx-trigger="every 2s"' in response.content
    assert b"ana@example.com" in response.content  # recent deliveries

    counts = staff.get(f"/campaigns/{campaign.id}/counts/")
    assert counts.context["counts"]["queued"] == 2
    assert b'hx-get="/campaigns/%d/counts/"' % campaign.id in counts.content
    assert b"<html" not in counts.content  # a partial

    staff.post(f"/campaigns/{campaign.id}/pause/")
    assert Campaign.objects.get(pk=campaign.id).state == "paused"
    paused = staff.get(f"/campaigns/{campaign.id}/counts/")
    assert b"hx-trigger" not in paused.content and b"Resume" in paused.content

    staff.post(f"/campaigns/{campaign.id}/resume/")
    assert Campaign.objects.get(pk=campaign.id).state == "sending"

    staff.post(f"/campaigns/{campaign.id}/cancel/")
    assert Campaign.objects.get(pk=campaign.id).state == "cancelled"
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed"}


def test_invalid_transitions_are_messages_not_errors(staff, newsletter):
    campaign = make_campaign(newsletter)
    response = staff.post(f"/campaigns/{campaign.id}/pause/", follow=True)
    assert response.status_code == 200
    assert b"Could not do that: campaign is draft" in response.content

    empty = staff.post(f"/campaigns/{campaign.id}/send/", follow=True)  # nobody to send to
    assert b"audience is empty" in empty.content
    assert Campaign.objects.get(pk=campaign.id).state == "draft"
    make_contact("ana@example.com", newsletter)
    staff.post(f"/campaigns/{campaign.id}/send/")
    assert Campaign.objects.get(pk=campaign.id).state == "sending"
    again = staff.post(f"/campaigns/{campaign.id}/send/", follow=True)
    assert b"only a draft or a scheduled campaign can be sent" in again.content
    assert staff.get(f"/campaigns/{campaign.id}/send/", follow=True).status_code == 200
    assert staff.get(f"/campaigns/{campaign.id}/pause/").status_code == 405


def test_send_with_a_template_that_fails_to_render_is_a_message(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    campaign = make_campaign(newsletter)
    # Saved templates are validated; simulate one that became invalid (e.g. an older row).
    Template.objects.filter(pk=campaign.template_id).update(subject="{{ broken(")
    response = staff.post(f"/campaigns/{campaign.id}/send/", follow=True)
    assert response.status_code == 200
    assert b"Could not do that: subject" in response.content
    assert Campaign.objects.get(pk=campaign.id).state == "draft"


# --- outbox → captured ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sent_campaign_is_readable_in_outbox(capture_relay, admin_user, newsletter):
    client = Client()
    client.force_login(admin_user)
    make_contact("ana@example.com", newsletter, name="Ana Nowak")
    campaign = make_campaign(newsletter)
    client.post(f"/campaigns/{campaign.id}/send/")
    assert run_worker(capture_relay) == 1

    counts = client.get(f"/campaigns/{campaign.id}/counts/")
    assert counts.context["counts"]["sent"] == 1
    assert b"hx-trigger" not in counts.content  # finished: polling stops

    msg = CapturedMessage.objects.get()
    listing = client.get("/outbox/")
    assert b"Hello Ana" in listing.content and b"ana@example.com" in listing.content

    html_tab = client.get(f"/outbox/{msg.id}/")
    assert html_tab.status_code == 200
    assert f'src="/outbox/{msg.id}/html/"'.encode() in html_tab.content
    assert b'sandbox=""' in html_tab.content
    assert b"List-Unsubscribe" in html_tab.content and b"Message-ID" in html_tab.content

    html = client.get(f"/outbox/{msg.id}/html/")
    assert b"Hi Ana" in html.content
    assert html["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline';"
        " form-action 'none'; base-uri 'none'"
    )
    assert html["X-Frame-Options"] == "SAMEORIGIN"

    text_tab = client.get(f"/outbox/{msg.id}/?tab=text")
    assert b"<pre" in text_tab.content and b"Hi Ana" in text_tab.content

    source_tab = client.get(f"/outbox/{msg.id}/?tab=source")
    assert b"Subject: Hello Ana" in source_tab.content
    raw = client.get(f"/outbox/{msg.id}/raw/")
    assert raw["Content-Type"] == "message/rfc822"
    assert raw.content == bytes(msg.raw)


def test_captured_multipart_parts(staff):
    msg = captured(multipart())
    page = staff.get(f"/outbox/{msg.id}/")
    assert b"News &lt;news@example.com&gt;" in page.content
    assert b"&lt;https://example.com/u/x&gt;" in page.content
    html = staff.get(f"/outbox/{msg.id}/html/")
    assert b"<h1>Hello Ana</h1>" in html.content  # served as is; the CSP sandbox disarms it
    assert "sandbox" in html["Content-Security-Policy"]
    text = staff.get(f"/outbox/{msg.id}/?tab=text")
    assert b"Hello Ana, plain words." in text.content
    assert b"&lt;script&gt;" not in text.content  # text tab shows only the text part


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00 garbage without headers \x00\x01",
        b"",
        b"Subject: =?utf-8?q?broken\r\nFrom: <<<>>>\r\nDate: yesterday-ish\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/html; charset=no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =ZZ\r\n",
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\n',
    ],
)
def test_malformed_captured_messages_do_not_fail(staff, raw):
    msg = captured(raw)
    for url in (
        f"/outbox/{msg.id}/",
        f"/outbox/{msg.id}/?tab=text",
        f"/outbox/{msg.id}/?tab=source",
        f"/outbox/{msg.id}/?tab=bogus",
        f"/outbox/{msg.id}/html/",
        f"/outbox/{msg.id}/raw/",
        "/outbox/",
    ):
        assert staff.get(url).status_code == 200, url


def test_outbox_filter_pagination_and_clear(staff):
    for i in range(52):
        captured(multipart(), to=f"user{i}@example.com", subject=f"n{i}")
    captured(multipart(), to="zed@example.org", subject="for zed")
    assert len(staff.get("/outbox/").context["page"].object_list) == 50
    filtered = staff.get("/outbox/?to=zed@")
    assert [m.subject for m in filtered.context["page"]] == ["for zed"]

    assert staff.get("/outbox/clear/").status_code == 405
    response = staff.post("/outbox/clear/", follow=True)
    assert b"Deleted 53 captured message(s)." in response.content
    assert not CapturedMessage.objects.exists()
