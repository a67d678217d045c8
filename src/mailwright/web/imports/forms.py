"""Forms of Contacts → Import: the upload (file, topics, lawful basis), the encoding override
and the column mapping. They shape input; imports.service validates it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from mailwright.contacts.models import AttributeDefinition, Topic
from mailwright.web.shell.forms import NoLabelSuffix, one_line

# What a person may choose for a file's encoding (SPEC §2.3): Python codec → label.
ENCODINGS = (
    ("utf-8", "UTF-8 (also with a BOM)"),
    ("utf-16", "UTF-16"),
    ("cp1250", "Windows-1250 (Polish, Czech, Hungarian…)"),
    ("cp1251", "Windows-1251 (Bulgarian, Cyrillic)"),
    ("cp1254", "Windows-1254 (Turkish)"),
    ("cp1258", "Windows-1258 (Vietnamese)"),
)
# Codec names the reader may report for the same choice.
_SAME_ENCODING = {"utf-8-sig": "utf-8", "utf_8": "utf-8", "utf8": "utf-8", "utf-16-le": "utf-16"}

# Contact fields a column can fill (imports.mapping.FIELDS), as the page names them.
FIELD_LABELS = (
    ("email", "Email address"),
    ("name", "Full name"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("language", "Language"),
    ("time_zone", "Time zone"),
    ("tags", "Tags"),
    ("birthday", "Birthday"),
    ("anniversary", "Anniversary"),
    ("consent", "Consent evidence (when or where they agreed)"),
)
IGNORE = ("", "— ignore this column —")


def encoding_choice(codec: str) -> str:
    codec = (codec or "").lower()
    return _SAME_ENCODING.get(codec, codec)


def encoding_label(codec: str) -> str:
    choice = encoding_choice(codec)
    labels = dict(ENCODINGS)
    if codec.lower() == "utf-8-sig":
        return "UTF-8 with a BOM"
    return labels.get(choice, choice.upper() or "unknown")


class UploadForm(NoLabelSuffix, forms.Form):
    file = forms.FileField(
        label="File",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.jsonl,.ndjson,.json"}),
    )
    topics = forms.MultipleChoiceField(
        label="Subscribe to topics",
        error_messages={"required": "Choose at least one topic to subscribe these people to."},
        widget=forms.CheckboxSelectMultiple,
        help_text="Every imported person is subscribed to these topics: confirmed when their "
        "row carries consent evidence, pending otherwise.",
    )
    basis = forms.CharField(
        label="Lawful basis",
        max_length=300,
        error_messages={"required": "Say why you may email these people."},
        help_text="Why you may email these people, e.g. “double opt-in on our site”, “existing "
        "customers, soft opt-in”, “signed up at the Kraków fair, 2024”. Recorded with every "
        "subscription in the consent ledger.",
    )
    send_optin = forms.BooleanField(
        label="Send a confirmation (double opt-in) email to rows without consent evidence",
        required=False,
    )

    def __init__(self, *args, max_bytes: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.fields["file"].help_text = (
            "CSV, TSV or JSON lines (one object per line), with a header row naming the "
            f"columns; at most {filesizeformat(max_bytes)}. The encoding is detected."
        )
        self.fields["topics"].choices = [(t.key, t.name) for t in Topic.objects.all()]
        self.fields["send_optin"].help_text = (
            "They stay pending, and get no marketing, until they click its link. At most "
            f"{settings.IMPORT_OPTIN_PER_HOUR:,} confirmation emails go out an hour, across all "
            "imports, so a large list cannot burst out and hurt your sending reputation; rows "
            "over the limit stay pending without an email, and the report counts them."
        )

    def clean_basis(self) -> str:
        basis = one_line(self.cleaned_data["basis"], "lawful basis").strip()
        if not basis:
            raise forms.ValidationError("Say why you may email these people.")
        return basis

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the most an import takes is "
                f"{filesizeformat(self.max_bytes)}. Split it, or import it with "
                "`mailwright import FILE` on the server."
            )
        return upload


class EncodingForm(NoLabelSuffix, forms.Form):
    encoding = forms.ChoiceField(
        label="Encoding",
        choices=ENCODINGS,
        help_text="If names in the preview show wrong letters (say “Ĺ‚” or “і” instead of “ł”), "
        "choose the encoding the file was saved in: the file is read again.",
    )

    def __init__(self, *args, current: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice = encoding_choice(current)
        choices = list(ENCODINGS)
        if choice and choice not in dict(choices):
            choices.append((choice, encoding_label(choice)))
        self.fields["encoding"].choices = choices
        self.fields["encoding"].initial = choice
        self.fields["encoding"].widget.attrs["data-autosubmit"] = ""


def target_choices() -> list:
    """The options of a column's select: contact fields, the declared custom attributes
    (imports only fill declared ones: Settings → Attributes), or ignore."""
    declared = [
        (f"attributes.{a.key}", a.label or a.key) for a in AttributeDefinition.objects.all()
    ]
    choices: list = [("Contact fields", list(FIELD_LABELS))]
    if declared:
        choices.append(("Custom attributes", declared))
    choices.append(IGNORE)
    return choices


class MappingForm(NoLabelSuffix, forms.Form):
    """One select per column of the file (fields column_0 … column_n, labelled by header)."""

    def __init__(self, *args, headers: list[str], mapping: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = target_choices()
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or f"column {index + 1}",
                choices=choices,
                required=False,
                initial=mapping.get(header, ""),
            )

    def clean(self):
        cleaned = super().clean()
        emails = [h for i, h in enumerate(self.headers) if cleaned.get(f"column_{i}") == "email"]
        if not emails:
            raise forms.ValidationError(
                "Choose the column that holds the email addresses: exactly one column must be "
                "imported as “Email address”."
            )
        if len(emails) > 1:
            raise forms.ValidationError(
                f"Only one column can be the email address; {', '.join(map(repr, emails))} "
                "are all set to “Email address”."
            )
        return cleaned

    @property
    def mapping(self) -> dict[str, str]:
        return {h: self.cleaned_data.get(f"column_{i}", "") for i, h in enumerate(self.headers)}

    def rows(self):
        """(header, bound field) per column, for the mapping table."""
        return [(h, self[f"column_{i}"]) for i, h in enumerate(self.headers)]
