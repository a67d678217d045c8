"""The sending organisation's identity (name, postal address, default sender)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent.models import Organisation
from mailwright.contacts.addresses import InvalidAddress, normalize_email


def current() -> Organisation:
    org = Organisation.objects.filter(id=1).first()
    if org is not None:
        return org
    try:
        with transaction.atomic():
            return Organisation.objects.create(
                id=1,
                name=settings.ORGANISATION_NAME,
                postal_address=settings.ORGANISATION_ADDRESS,
                from_email=settings.DEFAULT_FROM_EMAIL,
                from_name=settings.DEFAULT_FROM_NAME,
            )
    except IntegrityError:
        return Organisation.objects.get(id=1)


def context(org: Organisation | None = None) -> dict:
    org = org or current()
    return {"name": org.name, "address": org.postal_address}


FIELDS = (
    "name",
    "postal_address",
    "from_email",
    "from_name",
    "test_addresses",
    "frequency_cap",
    "frequency_days",
)


MAX_TEST_ADDRESSES = 20
LIMITS = {"name": 200, "postal_address": 1000, "from_email": 320, "from_name": 200}
RANGES = {"frequency_cap": (0, 100), "frequency_days": (1, 365)}
LABELS = {
    "name": "organisation name",
    "postal_address": "postal address",
    "from_email": "default From address",
    "from_name": "default From name",
    "frequency_cap": "default frequency cap",
    "frequency_days": "frequency cap period (days)",
}


class OrganisationError(ValueError):
    """Bad organisation settings: `field` names the field, `reason` says what is wrong (the
    same words in the UI and the API)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_addresses(text_or_list, field: str = "test_addresses") -> list[str]:
    """The seed list: one address per line (or a list), at most MAX_TEST_ADDRESSES, each
    valid; duplicates dropped. Raises OrganisationError naming the bad one."""
    items = text_or_list.splitlines() if isinstance(text_or_list, str) else list(text_or_list)
    out: list[str] = []
    seen: set[str] = set()
    for n, raw in enumerate(items, 1):
        if not isinstance(raw, str):
            raise OrganisationError(field, f"address {n} is not a string")
        if not raw.strip():
            continue
        try:
            address = normalize_email(raw)
        except InvalidAddress as exc:
            raise OrganisationError(
                field, f"{raw.strip()!r} is not a valid address: {exc}"
            ) from None
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
        if len(out) > MAX_TEST_ADDRESSES:  # stop at once: a list of 100,000 is refused fast
            raise OrganisationError(field, f"at most {MAX_TEST_ADDRESSES} test addresses")
    return out


def _text(field: str, value) -> str:
    if not isinstance(value, str):
        raise OrganisationError(field, f"The {LABELS[field]} must be text.")
    if "\x00" in value:
        raise OrganisationError(field, f"The {LABELS[field]} contains a NUL character.")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if field != "postal_address" and "\n" in value:
        raise OrganisationError(field, f"The {LABELS[field]} must be on one line.")
    if len(value) > LIMITS[field]:
        raise OrganisationError(
            field, f"The {LABELS[field]} is longer than {LIMITS[field]:,} characters."
        )
    if field in ("name", "from_email") and not value.strip():
        raise OrganisationError(field, "This field is required.")
    return value


def _whole(field: str, value) -> int:
    low, high = RANGES[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OrganisationError(
            field, f"The {LABELS[field]} must be a whole number from {low} to {high}."
        )
    return value


def clean(values: dict) -> dict:
    """Check and shape the given settings (any subset of FIELDS) as the form and the API
    both need: raises OrganisationError for the first bad one, else returns the values to
    store (line ends LF, addresses normalised, the seed list one address per line)."""
    out = {}
    for field, value in values.items():
        if field not in FIELDS:
            raise OrganisationError(field, f"no setting named {field!r}")
        if field in RANGES:
            out[field] = _whole(field, value)
        elif field == "test_addresses":
            if not isinstance(value, (str, list)):
                raise OrganisationError(field, "give a list of addresses")
            out[field] = "\n".join(parse_addresses(value))
        else:
            out[field] = _text(field, value)
            if field == "from_email":
                try:
                    out[field] = normalize_email(out[field])
                except InvalidAddress as exc:
                    raise OrganisationError(field, str(exc)) from None
    return out


@transaction.atomic
def do_update(values: dict, *, by: Actor) -> Organisation:
    """Change the organisation's settings (name, postal address, default sender, the seed
    list for test sends, the default frequency cap: at most frequency_cap marketing emails in
    frequency_days days, 0 = none). `values` is checked by `clean` first: OrganisationError
    names a bad field and nothing changes."""
    values = clean(values)
    org = current()
    before = {f: getattr(org, f) for f in FIELDS}
    for field in FIELDS:
        if field in values:
            setattr(org, field, values[field])
    org.save()
    after = {f: getattr(org, f) for f in FIELDS}
    changed = {f for f in FIELDS if before[f] != after[f]}
    if changed:
        audit.record(
            by,
            "settings.organisation",
            "settings",
            "organisation",
            before={f: before[f] for f in sorted(changed)},
            after={f: after[f] for f in sorted(changed)},
        )
    return org
