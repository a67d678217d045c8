"""Exclusion groups (SPEC §4.5, seed 002): people a group already reached by post, phone or
another channel, added by CSV or the API with the date they were reached; campaigns of the
group leave them out within the group's window (delivery.policy)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.campaigns.models import Campaign, ExclusionEntry
from mailwright.contacts.addresses import InvalidAddress, email_key, normalize_email
from mailwright.contacts.models import Contact
from mailwright.imports.detection import ImportFileError, detect_encoding, refuse_non_text
from mailwright.imports.layout import sniff_delimiter

CHANNELS = ("post", "phone", "email", "sms", "in_person", "other")
MAX_ROWS = 10_000
MAX_CSV_BYTES = 2 * 1024 * 1024
CLOCK_SKEW = timedelta(minutes=5)
# The same rule as a campaign's exclusion_group (campaign_fields.SLUG), so entries can
# always be matched by a campaign.
GROUP_NAME = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
COLUMNS = ("email", "reached_at", "channel")


@dataclass
class ExclusionError(ValueError):
    """Nothing was added; `problems` lists each bad row: {"index", "field", "message"}
    (index from 0 for API rows; CSV rows are numbered from 1 after the header line)."""

    message: str
    problems: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def check_group(group: str) -> str:
    name = (group or "").strip()
    if not GROUP_NAME.match(name):
        raise ExclusionError(
            "the group name must be 1–64 letters, digits, '-' or '_' (as a campaign's"
            " exclusion_group)"
        )
    return name


def parse_reached_at(value) -> datetime:
    """An ISO 8601 date-time (UTC when it has no offset) or a date (midnight UTC)."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            when = parse_datetime(text) or None
            if when is None and (day := parse_date(text)) is not None:
                when = datetime(day.year, day.month, day.day)
        except ValueError:
            when = None
        if when is None:
            raise ValueError(f"{text[:40]!r} is not a date (use 2026-12-01 or 2026-12-01T14:30Z)")
    elif value is None or value == "":
        raise ValueError("reached_at is required (the date the person was reached)")
    else:
        raise ValueError("reached_at must be a date as text (2026-12-01 or 2026-12-01T14:30Z)")
    if timezone.is_naive(when):
        when = when.replace(tzinfo=UTC)
    if when > timezone.now() + CLOCK_SKEW:
        raise ValueError(f"{when:%Y-%m-%d %H:%M} is in the future")
    return when


def _clean(index: int, row, problems: list[dict]) -> ExclusionEntry | None:
    def bad(field: str, message: str) -> None:
        problems.append({"index": index, "field": field, "message": message})

    if not isinstance(row, dict):
        bad("", "each row must be an object with email, reached_at and channel")
        return None
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        bad(unknown[0], f"unknown field {unknown[0]!r} (expected {', '.join(COLUMNS)})")
        return None
    try:
        address = normalize_email(row.get("email") or "")
    except InvalidAddress as exc:
        bad("email", str(exc))
        return None
    try:
        reached_at = parse_reached_at(row.get("reached_at"))
    except ValueError as exc:
        bad("reached_at", str(exc))
        return None
    channel = row.get("channel") or "other"
    channel = channel.strip().lower() if isinstance(channel, str) else None
    if channel not in CHANNELS:
        bad("channel", f"channel must be one of {', '.join(CHANNELS)}")
        return None
    return ExclusionEntry(email=email_key(address), channel=channel, reached_at=reached_at)


@transaction.atomic
def do_add_exclusion_entries(group: str, rows: list, by: Actor) -> int:
    """Add people the group reached outside Mailwright: all rows or none (ExclusionError
    lists every bad row). Addresses are stored by their key and linked to the contact
    when there is one. Returns how many were added."""
    group = check_group(group)
    if not isinstance(rows, list) or not rows:
        raise ExclusionError("send at least one row")
    if len(rows) > MAX_ROWS:
        raise ExclusionError(f"at most {MAX_ROWS:,} rows at once (got {len(rows):,})")
    problems: list[dict] = []
    entries = [_clean(i, row, problems) for i, row in enumerate(rows)]
    if problems:
        first = problems[0]
        raise ExclusionError(
            f"{len(problems)} row(s) are not valid; row {first['index']}: {first['message']}",
            problems,
        )
    keys = {e.email for e in entries}
    contacts: dict[str, int] = {}
    for start in range(0, len(keys), 1000):
        chunk = sorted(keys)[start : start + 1000]
        contacts.update(Contact.objects.filter(email_key__in=chunk).values_list("email_key", "id"))
    for entry in entries:
        entry.group = group
        entry.contact_id = contacts.get(entry.email)
    ExclusionEntry.objects.bulk_create(entries, batch_size=1000)
    channels: dict[str, int] = {}
    for entry in entries:
        channels[entry.channel] = channels.get(entry.channel, 0) + 1
    audit.record(
        by,
        "exclusion.add",
        "exclusion_group",
        group,
        after={"added": len(entries), "channels": channels, "known_contacts": len(contacts)},
    )
    return len(entries)


def read_csv(data: bytes) -> list[dict]:
    """The rows of an uploaded CSV (columns email, reached_at, channel; comma, semicolon or
    tab), or ExclusionError saying what is wrong with the file."""
    if len(data) > MAX_CSV_BYTES:
        raise ExclusionError(f"the file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise ExclusionError("the file is empty")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise ExclusionError("this is a ZIP file or an Excel workbook: save it as CSV first")
    try:
        refuse_non_text(Path("upload.csv"), data[:64])
        text = data.decode(detect_encoding(data, complete=True), errors="replace")
    except ImportFileError as exc:
        raise ExclusionError(str(exc)) from None
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text)))
    except csv.Error as exc:
        raise ExclusionError(f"the file is not a readable CSV file ({exc})") from None
    records = [r for r in records if any(v.strip() for v in r)]
    if not records:
        raise ExclusionError(
            "the file has only empty lines: the first line must name the columns"
            " email,reached_at,channel"
        )
    header = [h.strip().lower() for h in records[0]]
    if "email" not in header or "reached_at" not in header:
        raise ExclusionError(
            "the first line must name the columns: email,reached_at,channel "
            f"(found: {','.join(header)[:200]})"
        )
    rows = []
    for record in records[1:]:
        values = dict(zip(header, (v.strip() for v in record), strict=False))
        rows.append({k: values.get(k, "") for k in COLUMNS if values.get(k)})
    if not rows:
        raise ExclusionError("the file has a header line but no rows")
    return rows


def groups() -> list[dict]:
    """Every group named by a campaign or holding entries: its entries, the latest date
    one was reached, and its campaigns (id, name, state), by name."""
    out: dict[str, dict] = {}
    stats = ExclusionEntry.objects.values("group").annotate(n=Count("id"), latest=Max("reached_at"))
    for row in stats.order_by():
        out[row["group"]] = {
            "group": row["group"],
            "entries": row["n"],
            "latest_reached_at": row["latest"],
            "campaigns": [],
        }
    campaigns = Campaign.objects.exclude(exclusion_group="").order_by("id")
    for c in campaigns.values("id", "name", "state", "exclusion_group", "exclusion_window_hours"):
        item = out.setdefault(
            c["exclusion_group"],
            {
                "group": c["exclusion_group"],
                "entries": 0,
                "latest_reached_at": None,
                "campaigns": [],
            },
        )
        item["campaigns"].append(
            {
                "id": c["id"],
                "name": c["name"],
                "state": c["state"],
                "window_hours": c["exclusion_window_hours"],
            }
        )
    return [out[k] for k in sorted(out)]
