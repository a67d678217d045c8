"""Forms for the staff UI: they only parse and shape input; the domain functions validate it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.cache import cache

from mailwright.campaigns.models import Template
from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.contacts.models import Topic

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


class TopicForm(NoLabelSuffix, forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["key", "name", "description", "consent_text"]
        help_texts = {
            "key": "Short identifier used by the API and imports, e.g. “newsletter”.",
            "consent_text": "The wording a contact agrees to when subscribing.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "consent_text": forms.Textarea(attrs={"rows": 2}),
        }


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
    from_email = forms.CharField(
        label="From address",
        max_length=320,
        required=False,
        help_text=f"Empty: {settings.DEFAULT_FROM_EMAIL}",
    )
    from_name = forms.CharField(
        label="From name",
        max_length=200,
        required=False,
        help_text=f"Empty: {settings.DEFAULT_FROM_NAME}",
    )
    reply_to = forms.CharField(label="Reply-To address", max_length=320, required=False)


class CapturedFilterForm(NoLabelSuffix, forms.Form):
    to = forms.CharField(label="Recipient", max_length=320, required=False)
