"""Presentation helpers for the staff UI's figures: the geometry of a campaign report's
72-hour chart (drawn as inline SVG) and the telling parts of an event's data. The figures
themselves are read models in mailwright.feedback (reports, reputation, timeline)."""

from __future__ import annotations

from dataclasses import dataclass

from mailwright.feedback import timeline
from mailwright.feedback.models import Event
from mailwright.feedback.reports import HourRow
from mailwright.feedback.timeline import Entry

E = Event.Type


# --- the timeline chart ------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """Geometry of the timeline chart, drawn by the template as inline SVG."""

    width: int
    height: int
    top: int
    bottom: int  # y of the baseline
    left: int
    bars: list[dict]  # x, width, y, height, kind, title
    machine_points: str  # polyline of automated opens
    ticks: list[dict]  # x, label
    y_ticks: list[dict]  # y, label


def chart(rows: list[HourRow]) -> Chart:
    width, height, left, top, bottom_pad = 760, 220, 36, 10, 30
    plot_w = width - left - 8
    bottom = height - bottom_pad
    plot_h = bottom - top
    peak = max((max(r.opens_human, r.clicks_human, r.opens_machine) for r in rows), default=0)
    peak = max(peak, 1)
    slot = plot_w / max(len(rows), 1)
    bar_w = max(slot / 2 - 0.5, 0.5)

    def y(v: int) -> float:
        return round(bottom - plot_h * v / peak, 1)

    bars, points = [], []
    for r in rows:
        x = left + r.hour * slot
        label = f"{r.at:%Y-%m-%d %H}:00"
        for offset, kind, value in ((0, "opens", r.opens_human), (bar_w, "clicks", r.clicks_human)):
            if value:
                bars.append(
                    {
                        "x": round(x + offset, 1),
                        "width": round(bar_w, 1),
                        "y": y(value),
                        "height": round(bottom - y(value), 1),
                        "kind": kind,
                        "title": f"{label}: {value} human {kind if value != 1 else kind[:-1]}",
                    }
                )
        points.append(f"{round(x + slot / 2, 1)},{y(r.opens_machine)}")
    ticks = [
        {"x": round(left + r.hour * slot, 1), "label": f"+{r.hour} h"}
        for r in rows
        if r.hour % 12 == 0
    ]
    y_ticks = [{"y": y(v), "label": str(v)} for v in sorted({0, peak // 2, peak})]
    return Chart(
        width,
        height,
        top,
        bottom,
        left,
        bars,
        " ".join(points) if any(r.opens_machine for r in rows) else "",
        ticks,
        y_ticks,
    )


# --- event details ------------------------------------------------------------------------------

DETAIL_KEYS = {
    E.CLICKED: ("url",),
    E.BOUNCED: ("reason", "status", "diagnostic", "code", "reply"),
    E.SOFT_BOUNCED: ("reason", "status", "diagnostic"),
    E.DELAYED: ("reason", "status", "diagnostic"),
    E.DEFERRED: ("code", "reply"),
    E.FAILED: ("code", "reply"),
    E.COMPLAINED: ("feedback_type",),
    E.SENT: ("message_id",),
}


CONSENT_KEYS = ("topic", "channel", "actor", "basis")


def event_details(entry: Entry) -> list[tuple[str, str]]:
    """The interesting parts of a timeline entry's data, most telling first: the clicked URL,
    the bounce reason and status, the SMTP reply, why it was judged automated; for a consent
    change, the topic, the change, and who made it through which channel."""
    data = entry.data
    if entry.source == timeline.CONSENT:
        change = f"{data.get('state_from') or '—'} → {data.get('state_to') or '—'}"
        shown = [(k, str(data[k])) for k in CONSENT_KEYS[:1] if data.get(k)]
        shown.append(("change", change))
        return shown + [(k, str(data[k])) for k in CONSENT_KEYS[1:] if data.get(k)]
    keys = list(DETAIL_KEYS.get(entry.type, ()))
    keys += [k for k in ("machine_reason", "esp") if k not in keys]
    shown = [(k, str(data[k])) for k in keys if data.get(k) not in (None, "")]
    if not shown and entry.type not in (E.OPENED,):
        shown = [(k, str(v)) for k, v in data.items() if v not in (None, "")][:4]
    return shown
