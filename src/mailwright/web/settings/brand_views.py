"""Settings → Brand: the brand kit (consent.brand_store.do_save_brand validates and audits it)
and a preview of what it looks like in an email."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mailwright.consent.brand import brand_context, current_brand
from mailwright.consent.brand_store import FIELDS, SAFE_FONTS, BrandError, do_save_brand
from mailwright.web.shell.forms import NoLabelSuffix
from mailwright.web.shell.helpers import staff_actor


def _colour(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )


class BrandForm(NoLabelSuffix, forms.Form):
    logo_url = forms.CharField(
        label="Logo URL",
        required=False,
        max_length=2000,
        help_text="An https:// address or a path under /static/ or /media/ of this server.",
    )
    logo_alt = forms.CharField(label="Logo text for screen readers", required=False, max_length=200)
    primary_color = _colour("Buttons and accents")
    text_color = _colour("Text")
    background_color = _colour("Background")
    content_background = _colour("Content background")
    link_color = _colour("Links")
    font_family = forms.CharField(
        label="Font",
        max_length=200,
        widget=forms.TextInput(attrs={"list": "safe-fonts"}),
        help_text="One of the list, or a CSS font stack such as Georgia, serif.",
    )
    heading_font_family = forms.CharField(
        label="Heading font",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "safe-fonts"}),
        help_text="Empty: the same as the text.",
    )
    footer_text = forms.CharField(
        label="Footer text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above the unsubscribe link and postal address.",
    )
    public_css = forms.CharField(
        label="Extra CSS for the public pages",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "code", "spellcheck": "false"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def brand_settings(request):
    brand = current_brand()
    form = BrandForm(request.POST or None, initial={f: getattr(brand, f) for f in FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            do_save_brand(form.cleaned_data, by=staff_actor(request))
        except BrandError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Brand saved; marketing templates use it from now on.")
            return redirect("web:brand_settings")
    return render(
        request,
        "web/settings/brand.html",
        {
            "form": form,
            "brand": brand_context(brand),
            "safe_fonts": SAFE_FONTS,
            "nav_section": "settings",
        },
    )
