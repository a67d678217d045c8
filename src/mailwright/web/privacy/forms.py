"""Finding a person by address on the Privacy page."""

from __future__ import annotations

from django import forms

from mailwright.web.shell.forms import NoLabelSuffix


class FindPersonForm(NoLabelSuffix, forms.Form):
    email = forms.CharField(label="Email address", max_length=320, widget=forms.EmailInput)
