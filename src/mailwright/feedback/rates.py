"""The one definition of each sending rate, and the counts they are computed from.

Counts (per campaign, per stream in a time window, per receiving domain):

- ``attempted`` — deliveries that ended *sent* or *bounced*: handed to a receiving server,
  which accepted the message or refused it for good. This is what Mailchimp, Amazon SES and
  Postmark call "sent"; queued, deferred, failed (gave up) and suppressed ones are not in it.
- ``bounced`` — hard bounces: refused at once, or accepted and bounced later (a DSN or a
  relay's bounce event). ``bounced_later`` is the second kind alone.
- ``delivered`` = attempted − bounced (Mailchimp's "successful deliveries");
  ``accepted`` = delivered + bounced_later (the receiving server said 250).
- ``soft_bounced``, ``complaints``, ``unsubscribed``, ``opens_*``, ``clicks_*`` — *unique*:
  deliveries with at least one such event, so five opens by one person are one open and two
  feedback-loop reports about one message are one complaint. Opens and clicks made by a
  machine (Apple Mail Privacy Protection, security scanners, prefetchers: ``Event.machine``)
  are counted apart and never as human engagement.

Rates (a ``Rate`` is n out of of; its value is None when there is nothing to divide by):

- bounce_rate       = bounced / attempted        (Mailchimp, SES, Postmark)
- soft_bounce_rate  = soft_bounced / attempted
- complaint_rate    = complaints / attempted     (SES and Postmark; the reputation guard)
- open_rate         = opens_human / delivered    (Mailchimp: unique opens / successful deliveries)
- click_rate        = clicks_human / delivered   (Mailchimp: unique clicks / successful deliveries)
- machine_open_rate, machine_click_rate = opens_machine, clicks_machine / delivered
- click_to_open_rate = clicks_human / opens_human
- unsubscribe_rate  = unsubscribed / delivered

The guard (feedback.guards), /metrics, the campaign report, the stream pages and the API
all use these functions, so a rate is the same number wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from django.db.models import Count, Q

from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event

S = Delivery.State
E = Event.Type
STREAMS = (Delivery.Stream.MARKETING.value, Delivery.Stream.SERVICE.value)


@dataclass(frozen=True)
class Counts:
    attempted: int = 0
    bounced: int = 0
    bounced_later: int = 0
    soft_bounced: int = 0
    complaints: int = 0
    unsubscribed: int = 0
    opens_human: int = 0
    opens_machine: int = 0
    clicks_human: int = 0
    clicks_machine: int = 0

    @property
    def delivered(self) -> int:
        return self.attempted - self.bounced

    @property
    def accepted(self) -> int:
        return self.delivered + self.bounced_later

    def as_dict(self) -> dict[str, int]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**out, "delivered": self.delivered, "accepted": self.accepted}


@dataclass(frozen=True)
class Rate:
    """`n` out of `of`; shown as "12.5 %", or "—" when there is nothing to divide by."""

    n: int
    of: int

    @property
    def value(self) -> float | None:
        return self.n / self.of if self.of else None

    @property
    def text(self) -> str:
        if not self.of:
            return "—"
        text = f"{100 * self.n / self.of:.1f}".removesuffix(".0")
        return f"{text} %"

    def __str__(self) -> str:
        return self.text


# --- the rates --------------------------------------------------------------------------------


def bounce_rate(c: Counts) -> Rate:
    return Rate(c.bounced, c.attempted)


def soft_bounce_rate(c: Counts) -> Rate:
    return Rate(c.soft_bounced, c.attempted)


def complaint_rate(c: Counts) -> Rate:
    return Rate(c.complaints, c.attempted)


def open_rate(c: Counts) -> Rate:
    return Rate(c.opens_human, c.delivered)


def machine_open_rate(c: Counts) -> Rate:
    return Rate(c.opens_machine, c.delivered)


def click_rate(c: Counts) -> Rate:
    return Rate(c.clicks_human, c.delivered)


def machine_click_rate(c: Counts) -> Rate:
    return Rate(c.clicks_machine, c.delivered)


def click_to_open_rate(c: Counts) -> Rate:
    return Rate(c.clicks_human, c.opens_human)


def unsubscribe_rate(c: Counts) -> Rate:
    return Rate(c.unsubscribed, c.delivered)


RATES: dict[str, Callable[[Counts], Rate]] = {
    "bounce_rate": bounce_rate,
    "soft_bounce_rate": soft_bounce_rate,
    "complaint_rate": complaint_rate,
    "open_rate": open_rate,
    "click_rate": click_rate,
    "machine_open_rate": machine_open_rate,
    "machine_click_rate": machine_click_rate,
    "click_to_open_rate": click_to_open_rate,
    "unsubscribe_rate": unsubscribe_rate,
}


def all_rates(c: Counts, names: Iterable[str] = RATES) -> dict[str, Rate]:
    return {name: RATES[name](c) for name in names}


# --- the counts -------------------------------------------------------------------------------


def unique(type_: str, machine: bool | None = None) -> Count:
    """Distinct deliveries with at least one event of this type (human, machine or either)."""
    condition = Q(type=type_)
    if machine is not None:
        condition &= Q(machine=machine)
    return Count("delivery", distinct=True, filter=condition)


ENDED = (S.SENT, S.BOUNCED)
DELIVERY_COUNTS = {
    "attempted": Count("id", filter=Q(state__in=ENDED)),
    "bounced": Count("id", filter=Q(state=S.BOUNCED)),
}
BOUNCED_LATER = Count("id", filter=Q(state=S.BOUNCED, sent_at__isnull=False))
EVENT_COUNTS = {
    "soft_bounced": unique(E.SOFT_BOUNCED),
    "complaints": unique(E.COMPLAINED),
    "unsubscribed": unique(E.UNSUBSCRIBED),
    "opens_human": unique(E.OPENED, False),
    "opens_machine": unique(E.OPENED, True),
    "clicks_human": unique(E.CLICKED, False),
    "clicks_machine": unique(E.CLICKED, True),
}


def campaign_counts(campaign_id: int, *, engagement: bool = True) -> Counts:
    """A campaign's counts in two queries. `engagement=False` is the reputation guard's
    cheap form, run while sending: attempted, bounced and complaints only (the others stay
    0), read through the (campaign, state) and (campaign, type) indexes."""
    deliveries = Delivery.objects.filter(campaign_id=campaign_id)
    events = Event.objects.filter(campaign_id=campaign_id)
    if engagement:
        row = deliveries.aggregate(**DELIVERY_COUNTS, bounced_later=BOUNCED_LATER)
        row |= events.aggregate(**EVENT_COUNTS)
    else:
        row = deliveries.aggregate(**DELIVERY_COUNTS)
        row |= events.filter(type=E.COMPLAINED).aggregate(complaints=unique(E.COMPLAINED))
    return Counts(**{k: v or 0 for k, v in row.items()})


def stream_counts(
    since: datetime,
    until: datetime,
    streams: Iterable[str] = STREAMS,
    *,
    engagement: bool = True,
) -> dict[str, Counts]:
    """Per sending stream, in two grouped queries: the deliveries that ended sent or bounced
    in (since, until], and the events recorded in that window about deliveries of the
    stream. `engagement=False` counts complaints only among the events (the reputation
    panel, shown on every dashboard load). Every asked stream is in the result."""
    streams = list(streams)
    found: dict[str, dict] = {s: {} for s in streams}
    for row in (
        Delivery.objects.filter(
            stream__in=streams, state__in=ENDED, updated_at__gt=since, updated_at__lte=until
        )
        .values("stream")
        .annotate(**DELIVERY_COUNTS, bounced_later=BOUNCED_LATER)
        .order_by()
    ):
        found[row.pop("stream")].update(row)
    events = Event.objects.filter(
        created_at__gt=since, created_at__lte=until, delivery__stream__in=streams
    )
    wanted = EVENT_COUNTS
    if not engagement:
        events, wanted = events.filter(type=E.COMPLAINED), {"complaints": unique(E.COMPLAINED)}
    for row in events.values("delivery__stream").annotate(**wanted).order_by():
        found[row.pop("delivery__stream")].update(row)
    return {s: Counts(**{k: v or 0 for k, v in row.items()}) for s, row in found.items()}
