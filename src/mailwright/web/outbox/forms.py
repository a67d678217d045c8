"""The captured messages' filter."""

from __future__ import annotations

from django import forms

from mailwright.web.shell.forms import NoLabelSuffix


class CapturedFilterForm(NoLabelSuffix, forms.Form):
    to = forms.CharField(label="Recipient", max_length=320, required=False)
