"""Validation of a campaign's scheduling fields (SPEC §4.6): send_at, the local-time window,
the exclusion group and the A/B test. Every refusal is a ContactError naming the field as the
API spells it (``ab_test.variants[1].subject``), so the API answers 422 and the UI form can
put the message next to the right input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from mailwright.campaigns.models import Template
from mailwright.consent.directory import ContactError

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_AHEAD = timedelta(days=730)  # a schedule further ahead is a typo
METRICS = ("opens", "clicks")
AB_KEYS = {"variants", "sample_percent", "metric", "wait_minutes"}
MAX_VARIANTS = 5
SCHEDULING = ("send_at", "window", "exclusion_group", "exclusion_window_hours", "ab_test")


def parse_send_at(value, *, now: datetime | None = None, check_future: bool = True):
    """None, or an aware datetime in the future. Strings are ISO 8601 and must carry an
    offset (``2026-12-24T09:00:00+01:00`` or ``…Z``): a naive time is ambiguous."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ContactError(
                f"send_at: {value[:40]!r} is not an ISO 8601 date-time"
                " (e.g. 2026-12-24T09:00:00+01:00)",
                field="send_at",
            ) from None
    if not isinstance(value, datetime):
        raise ContactError("send_at must be an ISO 8601 date-time string", field="send_at")
    if timezone.is_naive(value):
        raise ContactError(
            "send_at has no UTC offset: add one, e.g. 2026-12-24T09:00:00+01:00 or"
            " 2026-12-24T08:00:00Z",
            field="send_at",
        )
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ContactError(
            f"send_at {value.isoformat()} is out of range", field="send_at"
        ) from None
    if value > (now or timezone.now()) + MAX_AHEAD:
        raise ContactError(
            f"send_at {value.isoformat()} is more than {MAX_AHEAD.days} days ahead", field="send_at"
        )
    if check_future and value <= (now or timezone.now()):
        raise ContactError(
            f"send_at {value.isoformat()} is in the past; choose a future time, or send now",
            field="send_at",
        )
    return value


def _clock(value, field: str) -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ContactError(f"{field} must be a time as HH:MM (e.g. 09:00)", field=field)
    hours, minutes = (int(p) for p in value.strip().split(":"))
    if hours > 23 or minutes > 59:
        raise ContactError(f"{field}: {value} is not a time of day (00:00 … 23:59)", field=field)
    return time(hours, minutes)


def parse_window(value) -> tuple[time | None, time | None]:
    """{"start": "09:00", "end": "11:00"} → (start, end); None → (None, None). An end before
    the start crosses midnight (22:00–02:00 is four hours); an empty window is refused."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise ContactError('window must be {"start": "HH:MM", "end": "HH:MM"}', field="window")
    unknown = sorted(set(value) - {"start", "end"})
    if unknown:
        raise ContactError(f"window: unknown key(s) {', '.join(unknown)}", field="window")
    start = _clock(value.get("start"), "window.start")
    end = _clock(value.get("end"), "window.end")
    if start == end:
        raise ContactError("window.end must differ from window.start", field="window.end")
    return start, end


def window_out(start: time | None, end: time | None) -> dict | None:
    if start is None or end is None:
        return None
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def parse_exclusion(group, hours) -> tuple[str, int]:
    group = (group or "").strip()
    if len(group) > 64 or (group and not SLUG.match(group)):
        raise ContactError(
            "exclusion_group must be a slug (letters, digits, - and _) of at most 64 characters",
            field="exclusion_group",
        )
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 720:
        raise ContactError(
            "exclusion_window_hours must be a whole number of hours from 1 to 720",
            field="exclusion_window_hours",
        )
    return group, hours


def _whole(data: dict, key: str, low: int, high: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ContactError(
            f"ab_test.{key} must be a whole number from {low} to {high}", field=f"ab_test.{key}"
        )
    return value


def _variant(i: int, item) -> dict:
    where = f"ab_test.variants[{i}]"
    if not isinstance(item, dict) or len(item) != 1 or not {"subject", "template"} >= set(item):
        raise ContactError(
            f'{where} must be {{"subject": "..."}} or {{"template": ID}}', field=where
        )
    if "subject" in item:
        subject = item["subject"]
        if not isinstance(subject, str) or not subject.strip():
            raise ContactError(f"{where}.subject is empty", field=f"{where}.subject")
        if len(subject) > 998:
            raise ContactError(
                f"{where}.subject is longer than 998 characters", field=f"{where}.subject"
            )
        if any(ch in subject for ch in "\r\n\x00"):
            raise ContactError(f"{where}.subject contains a line break", field=f"{where}.subject")
        return {"subject": subject.strip()}
    tid = item["template"]
    if isinstance(tid, bool) or not isinstance(tid, int):
        raise ContactError(f"{where}.template must be a template id", field=f"{where}.template")
    tpl = Template.objects.filter(pk=tid).first()
    if tpl is None:
        raise ContactError(f"{where}.template: no template with id {tid}", f"{where}.template")
    if tpl.kind != Template.Kind.MARKETING:
        raise ContactError(
            f"{where}.template: template {tid} is a service template; A/B variants use"
            " marketing templates",
            field=f"{where}.template",
        )
    return {"template": tid}


def parse_ab_test(value) -> dict | None:
    """The A/B test, normalised, or None (no test)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ContactError("ab_test must be an object", field="ab_test")
    unknown = sorted(set(value) - AB_KEYS)
    if unknown:
        raise ContactError(f"ab_test: unknown key(s) {', '.join(unknown)}", field="ab_test")
    variants = value.get("variants")
    if not isinstance(variants, list) or not 2 <= len(variants) <= MAX_VARIANTS:
        raise ContactError(
            f"ab_test.variants must list 2 to {MAX_VARIANTS} variants", field="ab_test.variants"
        )
    metric = value.get("metric", "opens")
    if metric not in METRICS:
        raise ContactError('ab_test.metric must be "opens" or "clicks"', field="ab_test.metric")
    return {
        "variants": [_variant(i, item) for i, item in enumerate(variants)],
        "sample_percent": _whole(value, "sample_percent", 1, 50),
        "metric": metric,
        "wait_minutes": _whole(value, "wait_minutes", 5, 10080),
    }


def scheduling_fields(values: dict, *, check_future: bool) -> dict:
    """The model fields for the scheduling values given (keys of SCHEDULING)."""
    out: dict = {}
    if "send_at" in values:
        out["send_at"] = parse_send_at(values["send_at"], check_future=check_future)
    if "window" in values:
        out["window_start"], out["window_end"] = parse_window(values["window"])
    if "exclusion_group" in values or "exclusion_window_hours" in values:
        out["exclusion_group"], out["exclusion_window_hours"] = parse_exclusion(
            values.get("exclusion_group", ""), values.get("exclusion_window_hours", 24)
        )
    if "ab_test" in values:
        out["ab_test"] = parse_ab_test(values["ab_test"])
    return out
