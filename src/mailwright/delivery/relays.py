"""Which relays the workers send through: those configured in the UI (Relay rows), else the
ones in MW_RELAY_URL (several may be given, separated by spaces), else the capture relay."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from mailwright.conf import RelayConfig
from mailwright.delivery.models import Delivery, Relay

ALL_STREAMS = frozenset({Delivery.Stream.MARKETING, Delivery.Stream.SERVICE})


@dataclass(frozen=True)
class RelayChoice:
    key: str
    config: RelayConfig = field(compare=False)
    streams: frozenset = ALL_STREAMS

    @property
    def weight(self) -> int:
        return self.config.weight


def _streams(value: str) -> frozenset:
    return ALL_STREAMS if value == Relay.Stream.ALL else frozenset({value})


def configured() -> list[RelayChoice]:
    rows = list(Relay.objects.filter(enabled=True))
    if rows:
        out = []
        for row in rows:
            try:
                config = RelayConfig(row.url)
            except ImproperlyConfigured:
                continue  # the UI validates; a broken row must not stop the others
            config.weight = row.weight
            out.append(RelayChoice(key=row.name[:64], config=config, streams=_streams(row.stream)))
        if out:
            return out
    return [RelayChoice(key=c.name[:64], config=c) for c in settings.RELAYS]


def pick(choices: list[RelayChoice], exclude: set[str] = frozenset()) -> RelayChoice | None:
    """A relay chosen by weight among those not excluded (exhausted or throttled)."""
    usable = [c for c in choices if c.key not in exclude]
    if not usable:
        return None
    return random.choices(usable, weights=[c.weight for c in usable], k=1)[0]


PASSWORD_PLACEHOLDER = "***"  # noqa: S105 - the mask shown instead of a password


def redact_relay_url(url: str) -> str:
    """A relay URL safe to show: RelayConfig.display, then anything between "scheme://" and
    the last "@" after a colon hidden as well (a URL the parser misreads, e.g. an unencoded
    "/" or "#" in the password, must not show the password either)."""
    try:
        url = RelayConfig(url).display
    except ImproperlyConfigured:
        pass
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    userinfo, at, hostpart = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:{PASSWORD_PLACEHOLDER}@{hostpart}"
