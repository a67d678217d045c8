"""Forms of the Delivery area (relays, domain policies, DKIM, the DNS check): they only parse
and shape input; mailwright.delivery validates and saves it."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django import forms
from django.core.exceptions import ImproperlyConfigured

from mailwright.conf import RelayConfig
from mailwright.delivery.dkim import InvalidDomain, normalize_domain
from mailwright.delivery.models import DkimKey, DomainPolicy, Relay
from mailwright.delivery.relays import PASSWORD_PLACEHOLDER, redact_relay_url
from mailwright.web.shell.forms import NoLabelSuffix


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
