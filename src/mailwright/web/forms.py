"""Forms for the staff UI: they only parse and shape input; the domain functions validate it."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import capfirst

from mailwright.campaigns.models import Template
from mailwright.conf import RelayConfig
from mailwright.consent import organisation
from mailwright.consent.models import Suppression
from mailwright.consent.topics import TopicError, check_key
from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.contacts.models import Topic
from mailwright.delivery.dkim import InvalidDomain, normalize_domain
from mailwright.delivery.models import DkimKey, DomainPolicy, Relay
from mailwright.delivery.relays import PASSWORD_PLACEHOLDER, redact_relay_url
from mailwright.feedback.models import InboundMessage
from mailwright.feedback.webhooks import EVENT_TYPES

LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW_SECONDS = 15 * 60


class NoLabelSuffix:
    """Labels read "Email", not "Email:"."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class RateLimitedAuthenticationForm(NoLabelSuffix, AuthenticationForm):
    """Django's login form, refusing a username+IP pair after too many recent failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": ("Too many failed sign-in attempts. Wait 15 minutes, then try again."),
    }

    def _key(self) -> str:
        username = (self.data.get("username") or "").strip().lower()[:150]
        return f"web:login-failures:{username}:{_client_ip(self.request)}"

    def clean(self):
        key = self._key()
        if cache.get(key, 0) >= LOGIN_MAX_FAILURES:
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            # add() starts the window on the first failure; incr() keeps its expiry.
            cache.add(key, 0, LOGIN_WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.set(key, 1, LOGIN_WINDOW_SECONDS)
            raise
        cache.delete(key)
        return cleaned


class AccountPasswordForm(NoLabelSuffix, PasswordChangeForm):
    pass


TEXT_LIMIT = 5000


def _one_line(value: str, what: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise forms.ValidationError(f"The {what} must be on one line.")
    return value


def _lf(value: str) -> str:
    """Browsers send textareas with CRLF line ends; store LF so an unchanged text stays equal."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


class TopicForm(NoLabelSuffix, forms.ModelForm):
    """Parses a new topic (the model's uniqueness check gives a friendly duplicate-key error);
    the view creates it with contacts.topics.create_topic, which records consent text v1."""

    key = forms.CharField(  # checked by contacts.topics.check_key alone
        label="Key",
        help_text="Short identifier used by the API and imports, e.g. “newsletter”:"
        " lower-case letters, digits, “-” and “_”.",
    )

    class Meta:
        model = Topic
        fields = ["key", "name", "description", "consent_text"]
        help_texts = {
            "consent_text": "The exact wording a contact agrees to when subscribing"
            " (shown next to the checkbox on the subscription forms).",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2, "maxlength": TEXT_LIMIT}),
            "consent_text": forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_LIMIT}),
        }

    def clean_key(self) -> str:
        try:
            return check_key(self.cleaned_data["key"])
        except TopicError as exc:
            raise forms.ValidationError(capfirst(f"{exc}.")) from None

    def clean_name(self) -> str:
        return _one_line(self.cleaned_data["name"], "name")

    def clean_description(self) -> str:
        return _limit(_lf(self.cleaned_data["description"]), "description")

    def clean_consent_text(self) -> str:
        return _limit(_lf(self.cleaned_data["consent_text"]), "consent text")


def _limit(value: str, what: str) -> str:
    if len(value) > TEXT_LIMIT:
        raise forms.ValidationError(f"The {what} is longer than {TEXT_LIMIT:,} characters.")
    return value


class TopicEditForm(NoLabelSuffix, forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": TEXT_LIMIT})
    )
    consent_text = forms.CharField(
        label="Consent text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_LIMIT}),
        help_text="Changing the wording makes a new version. People who already agreed keep"
        " the version they saw; the forms show the new one from now on.",
    )

    def clean_name(self) -> str:
        return _one_line(self.cleaned_data["name"], "name")

    def clean_description(self) -> str:
        return _limit(_lf(self.cleaned_data["description"]), "description")

    def clean_consent_text(self) -> str:
        return _limit(_lf(self.cleaned_data["consent_text"]), "consent text")


class OrganisationForm(NoLabelSuffix, forms.Form):
    name = forms.CharField(label="Organisation name", max_length=200)
    postal_address = forms.CharField(
        label="Postal address",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown in every marketing email, as the law requires (CAN-SPAM, GDPR)."
        " Campaigns cannot be sent while it is empty.",
    )
    from_email = forms.CharField(
        label="Default From address",
        max_length=320,
        widget=forms.EmailInput,
        help_text="Used when a campaign does not set its own.",
    )
    from_name = forms.CharField(label="Default From name", max_length=200, required=False)

    def clean_name(self) -> str:
        return _one_line(self.cleaned_data["name"], "name")

    def clean_postal_address(self) -> str:
        return _lf(self.cleaned_data["postal_address"])

    def clean_from_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["from_email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_from_name(self) -> str:
        return _one_line(self.cleaned_data["from_name"], "From name")


class ContactForm(NoLabelSuffix, forms.Form):
    email = forms.CharField(max_length=320, widget=forms.EmailInput(attrs={"autofocus": True}))
    name = forms.CharField(max_length=200, required=False)
    language = forms.ChoiceField(choices=settings.LANGUAGES, initial="en")
    topics = forms.MultipleChoiceField(
        label="Confirmed on topics",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick only the topics this person has agreed to receive.",
    )
    basis = forms.CharField(
        label="Consent basis",
        max_length=300,
        required=False,
        help_text="How and when they agreed, e.g. “double opt-in on our site, 2024-05-01”."
        " Required when a topic is ticked.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(t.key, t.name) for t in Topic.objects.all()]

    def clean_email(self) -> str:
        # Checked here too, so a bad address is reported together with the other fields.
        try:
            normalize_email(self.cleaned_data["email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc)) from None
        return self.cleaned_data["email"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("topics") and not (cleaned.get("basis") or "").strip():
            self.add_error("basis", "Say how these topics were consented to.")
        return cleaned


class TemplateForm(NoLabelSuffix, forms.Form):
    FORMATS = [("html", "HTML"), ("mjml", "MJML")]

    name = forms.CharField(max_length=200)
    subject = forms.CharField(max_length=998)
    source_format = forms.ChoiceField(
        label="Source format", choices=FORMATS, initial="html", widget=forms.RadioSelect
    )
    source = forms.CharField(
        label="Source",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
        help_text="Jinja2 placeholders such as {{ contact.first_name|default('there') }},"
        " {{ unsubscribe_url }} and {{ preferences_url }} are available.",
    )
    text = forms.CharField(
        label="Plain-text part",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text="Optional; generated from the HTML when empty.",
    )

    @classmethod
    def initial_for(cls, tpl: Template) -> dict:
        is_mjml = bool(tpl.mjml)
        return {
            "name": tpl.name,
            "subject": tpl.subject,
            "source_format": "mjml" if is_mjml else "html",
            "source": tpl.mjml if is_mjml else tpl.html,
            "text": tpl.text,
        }

    def add_template_error(self, exc) -> None:
        """Attach a TemplateError to the field it is about, naming the part and line."""
        field = {"name": "name", "subject": "subject", "text": "text"}.get(exc.part, "source")
        self.add_error(field, str(exc))


class CampaignForm(NoLabelSuffix, forms.Form):
    name = forms.CharField(max_length=200)
    template = forms.ModelChoiceField(queryset=Template.objects.all(), empty_label=None)
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        to_field_name="key",
        widget=forms.CheckboxSelectMultiple,
        help_text="Contacts confirmed on any of these topics receive the campaign.",
    )
    from_email = forms.CharField(label="From address", max_length=320, required=False)
    from_name = forms.CharField(label="From name", max_length=200, required=False)
    reply_to = forms.CharField(label="Reply-To address", max_length=320, required=False)
    track_opens = forms.BooleanField(
        label="Track opens", required=False, initial=True, help_text="Adds the open pixel."
    )
    track_clicks = forms.BooleanField(
        label="Track clicks",
        required=False,
        initial=True,
        help_text="Links go through Mailwright's click redirect to their address.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        org = organisation.current()  # the default sender as Settings has it now
        self.fields["from_email"].help_text = f"Empty: {org.from_email}"
        self.fields["from_name"].help_text = f"Empty: {org.from_name or org.name}"


class CapturedFilterForm(NoLabelSuffix, forms.Form):
    to = forms.CharField(label="Recipient", max_length=320, required=False)


class ContactEditForm(NoLabelSuffix, forms.Form):
    """Rectification: name, language and attributes (a JSON object)."""

    ATTRIBUTES_LIMIT = 20_000

    name = forms.CharField(max_length=200, required=False)
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    attributes = forms.CharField(
        label="Attributes (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text='A JSON object, e.g. {"city": "Kraków", "plan": "pro"}. Empty means none.',
    )

    @classmethod
    def initial_for(cls, contact) -> dict:
        return {
            "name": contact.name,
            "language": contact.language,
            "attributes": json.dumps(contact.attributes or {}, indent=2, ensure_ascii=False),
        }

    def clean_name(self) -> str:
        return _one_line(self.cleaned_data["name"], "name")

    def clean_attributes(self) -> dict:
        raw = self.cleaned_data["attributes"].strip()
        if not raw:
            return {}
        if len(raw) > self.ATTRIBUTES_LIMIT:
            raise forms.ValidationError(
                f"The attributes are longer than {self.ATTRIBUTES_LIMIT:,} characters."
            )
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc}.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError(
                'The attributes must be a JSON object, e.g. {"city": "Kraków"}.'
            )
        return value


class EraseForm(NoLabelSuffix, forms.Form):
    confirm = forms.CharField(
        label="Type the person's email address to confirm",
        max_length=320,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed.lower() != self.email.lower():
            raise forms.ValidationError("This is not the contact's address; nothing was erased.")
        return typed


class FindPersonForm(NoLabelSuffix, forms.Form):
    email = forms.CharField(label="Email address", max_length=320, widget=forms.EmailInput)


# --- delivery: relays, domain policies, DKIM ---------------------------------------------------


def _userinfo(url: str) -> tuple[str | None, str | None]:
    """(user, password) as written in the URL (still percent-encoded), None when absent."""
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return None, None
    userinfo = netloc.rpartition("@")[0]
    user, colon, password = userinfo.partition(":")
    return user, (password if colon else None)


def with_password(url: str, password: str | None) -> str:
    """The URL with its password replaced by `password` (already percent-encoded) or removed
    (None); the user name and everything else kept."""
    parts = urlsplit(url)
    user, _ = _userinfo(url)
    hostport = parts.netloc.rpartition("@")[2]
    if user is None and password is None:
        netloc = hostport
    else:
        netloc = (user or "") + (f":{password}" if password is not None else "") + "@" + hostport
    return urlunsplit(parts._replace(netloc=netloc))


class RelayForm(NoLabelSuffix, forms.Form):
    """A relay: its name (fixed once created), URL (validated by RelayConfig), an optional
    password kept out of the URL box, stream, weight and whether it is used."""

    name = forms.SlugField(
        max_length=64,
        help_text="Short identifier, e.g. “ses-eu”: letters, digits, “-” and “_”. Usage"
        " counters and back-off are kept under it, so it cannot change later.",
    )
    url = forms.CharField(
        label="URL",
        max_length=1000,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text="smtp://USER@HOST:587?tls=starttls&rate=50/s&concurrency=10&daily=500 —"
        " tls none|starttls|tls (smtps:// means tls); rate per s, m or h; daily: messages per"
        " UTC day. weight= in the URL is ignored: use the Weight field.",
    )
    password = forms.CharField(
        required=False,
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Optional: typed here it never needs to be in the URL, and is never shown"
        " again. A “***” in the URL stands for it.",
    )
    stream = forms.ChoiceField(choices=Relay.Stream.choices, initial=Relay.Stream.ALL)
    weight = forms.IntegerField(
        min_value=1,
        max_value=1000,
        initial=1,
        help_text="Share of the mail among the relays of a stream (2 sends twice as much as 1).",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(self, *args, relay: Relay | None = None, **kwargs) -> None:
        self.relay = relay
        if relay is not None:
            kwargs.setdefault(
                "initial",
                {
                    "url": redact_relay_url(relay.url),
                    "stream": relay.stream,
                    "weight": relay.weight,
                    "enabled": relay.enabled,
                },
            )
        super().__init__(*args, **kwargs)
        if relay is not None:
            del self.fields["name"]
            self.fields["password"].label = "New password"
            self.fields["password"].help_text = (
                "Empty: keep the stored password (shown as “***” in the URL). To remove it,"
                " delete “:***” from the URL."
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if Relay.objects.filter(name=name).exists():
            raise forms.ValidationError("A relay with this name exists already.")
        return name

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if any(ch.isspace() or ord(ch) < 32 for ch in url):
            raise forms.ValidationError("The URL must not contain spaces or line breaks.")
        parts = urlsplit(url)
        if "@" in parts.path + parts.query + parts.fragment:
            raise forms.ValidationError(
                "The URL has an “@” after the host: a password containing “/”, “?” or “#”"
                " must be percent-encoded; or type it in the Password field."
            )
        return url

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("url")
        if not url:
            return cleaned
        user, in_url = _userinfo(url)
        typed = cleaned.get("password") or ""
        stored = _userinfo(self.relay.url)[1] if self.relay is not None else None
        secrets_seen = {
            variant
            for secret in (typed, in_url, stored)
            if secret and secret != PASSWORD_PLACEHOLDER
            for variant in (secret, quote(secret, safe=""), unquote(secret))
        }
        if typed:
            if not user:
                self.add_error(
                    "url", "Put the user name in the URL (smtp://USER@host…) to use a password."
                )
                return cleaned
            url = with_password(url, quote(typed, safe=""))
        elif in_url == PASSWORD_PLACEHOLDER:
            if stored is None:
                self.add_error(
                    "password",
                    "Type the password here: “***” in the URL stands for it."
                    if self.relay is None
                    else "There is no stored password: type it here.",
                )
                return cleaned
            url = with_password(url, stored)
        if len(url) > 1000:
            self.add_error("url", "The URL is longer than 1,000 characters.")
            return cleaned
        try:
            RelayConfig(url)
        except ImproperlyConfigured as exc:
            message = str(exc)
            for secret in sorted(secrets_seen, key=len, reverse=True):
                message = message.replace(secret, PASSWORD_PLACEHOLDER)
            self.add_error("url", message)
            return cleaned
        cleaned["url"] = url
        return cleaned

    def hide_secrets(self) -> None:
        """Before showing a bound form again: the URL box shows the password as “***”."""
        if self.is_bound and self.data.get("url"):
            data = self.data.copy()
            data["url"] = redact_relay_url(data["url"])
            self.data = data


class DomainPolicyForm(NoLabelSuffix, forms.Form):
    domain = forms.CharField(
        max_length=253,
        help_text="The recipients' domain, e.g. gmail.com (stored lower-case, IDNA-encoded).",
    )
    hourly_cap = forms.IntegerField(
        label="Hourly cap",
        min_value=1,
        max_value=10_000_000,
        help_text="Messages per hour to this domain once warmed up.",
    )
    warmup_start = forms.IntegerField(
        label="Warm-up start",
        required=False,
        min_value=1,
        max_value=10_000_000,
        help_text="Optional: messages per hour on the first day of warm-up. Empty: no warm-up.",
    )
    warmup_growth = forms.FloatField(
        label="Warm-up growth",
        min_value=1.0,
        max_value=10.0,
        initial=1.5,
        help_text="Daily multiplier during warm-up, e.g. 1.5 = +50 % a day, until the cap.",
    )

    def __init__(self, *args, policy: DomainPolicy | None = None, **kwargs) -> None:
        self.policy = policy
        if policy is not None:
            kwargs.setdefault(
                "initial",
                {
                    "domain": policy.domain,
                    "hourly_cap": policy.hourly_cap,
                    "warmup_start": policy.warmup_start,
                    "warmup_growth": policy.warmup_growth,
                },
            )
        super().__init__(*args, **kwargs)

    def clean_domain(self) -> str:
        try:
            domain = normalize_domain(self.cleaned_data["domain"])
        except InvalidDomain as exc:
            raise forms.ValidationError(_capitalized(str(exc))) from None
        others = DomainPolicy.objects.filter(domain=domain)
        if self.policy is not None:
            others = others.exclude(pk=self.policy.pk)
        if others.exists():
            raise forms.ValidationError(f"There is a policy for {domain} already.")
        return domain

    def clean(self):
        cleaned = super().clean()
        start, cap = cleaned.get("warmup_start"), cleaned.get("hourly_cap")
        if start and cap and start > cap:
            self.add_error("warmup_start", "The warm-up start must not be above the hourly cap.")
        return cleaned


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


ALGORITHM_CHOICES = [
    (DkimKey.Algorithm.RSA.value, "RSA-2048 (recommended)"),
    (DkimKey.Algorithm.ED25519.value, "Ed25519"),
]


class DkimGenerateForm(NoLabelSuffix, forms.Form):
    domain = forms.CharField(
        max_length=253, help_text="The From domain the key signs for, e.g. example.com."
    )
    algorithm = forms.ChoiceField(
        choices=ALGORITHM_CHOICES,
        initial=DkimKey.Algorithm.RSA.value,
        widget=forms.RadioSelect,
        help_text="Gmail does not verify Ed25519 signatures, so RSA-2048 is recommended"
        " (Ed25519 is only worth it as a second key besides an RSA one).",
    )


class DkimRotateForm(forms.Form):
    domain = forms.CharField(max_length=253)
    algorithm = forms.ChoiceField(
        choices=[("", "same algorithm"), *ALGORITHM_CHOICES], required=False
    )


RELAY_HOST = re.compile(r"^[A-Za-z0-9.:\-\[\]]{1,253}$")


class DnsCheckForm(forms.Form):
    domain = forms.CharField(max_length=253)
    relay_host = forms.CharField(
        label="Relay host",
        max_length=253,
        required=False,
        help_text="Optional: the relay's host name or IP, to check that SPF names it.",
    )

    def clean_relay_host(self) -> str:
        host = self.cleaned_data["relay_host"].strip().strip("[]")
        if host and not RELAY_HOST.match(host):
            raise forms.ValidationError("Give a host name or an IP address.")
        return host


# --- feedback: suppressions, inbound, webhooks --------------------------------------------------


class SuppressionFilterForm(NoLabelSuffix, forms.Form):
    q = forms.CharField(label="Email contains", max_length=320, required=False)
    reason = forms.ChoiceField(
        choices=[("", "Any reason"), *Suppression.Reason.choices], required=False
    )


class SuppressionAddForm(NoLabelSuffix, forms.Form):
    email = forms.CharField(label="Email address", max_length=320)
    note = forms.CharField(
        label="Note", max_length=500, required=False, help_text="Why: kept with the entry."
    )

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_note(self) -> str:
        return _one_line(self.cleaned_data["note"].strip(), "note")


SUPPRESSION_IMPORT_MAX_BYTES = 5 * 1024 * 1024


class SuppressionImportForm(NoLabelSuffix, forms.Form):
    file = forms.FileField(
        label="Suppression list",
        help_text="Text with one address per line, or a CSV file with an “email” column;"
        " at most 5 MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > SUPPRESSION_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 5 MB."
            )
        return upload


class InboundFilterForm(NoLabelSuffix, forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *InboundMessage.Kind.choices], required=False
    )
    failed = forms.BooleanField(label="Only failed (dead letters)", required=False)


class WebhookEndpointForm(NoLabelSuffix, forms.Form):
    url = forms.CharField(label="URL", max_length=1000, help_text="https://… receiving POSTs")
    event_types = forms.MultipleChoiceField(
        label="Event types",
        choices=[(t, t) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every event type.",
    )
    description = forms.CharField(max_length=200, required=False)

    def clean_url(self) -> str:
        return _one_line(self.cleaned_data["url"].strip(), "URL")
