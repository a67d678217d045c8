"""The sign-in and password forms, and what every area's forms share. Forms only parse and
shape input; the domain functions validate it."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.cache import cache

LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW_SECONDS = 15 * 60
TEXT_LIMIT = 5000


class NoLabelSuffix:
    """Labels read "Email", not "Email:"."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def one_line(value: str, what: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise forms.ValidationError(f"The {what} must be on one line.")
    return value


def lf(value: str) -> str:
    """Browsers send textareas with CRLF line ends; store LF so an unchanged text stays equal."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def limited(value: str, what: str) -> str:
    if len(value) > TEXT_LIMIT:
        raise forms.ValidationError(f"The {what} is longer than {TEXT_LIMIT:,} characters.")
    return value


# --- account ------------------------------------------------------------------------------------


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
