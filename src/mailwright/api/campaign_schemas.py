"""Schemas of a campaign's scheduling fields (SPEC §4.6) and its report's additions (§4.7):
send_at, the local-time window, the exclusion group, the A/B test, the variants and the
comparison with earlier campaigns. Values are checked by campaigns.campaign_fields, which
names the field of any bad value (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from mailwright.api.schemas import (
    CampaignIn as BaseCampaignIn,
)
from mailwright.api.schemas import (
    CampaignOut as BaseCampaignOut,
)
from mailwright.api.schemas import (
    CampaignPatch as BaseCampaignPatch,
)
from mailwright.api.schemas import (
    CampaignReportOut as BaseCampaignReportOut,
)
from mailwright.api.schemas import Fraction, In, Schema

SEND_AT = "ISO 8601 with a UTC offset (2026-12-24T09:00:00+01:00); null: send when asked"
WINDOW = 'each contact\'s local time window, {"start": "09:00", "end": "11:00"}'
AB_TEST = (
    '{"variants": [{"subject": "…"} | {"template": ID}, …] (2–5), "sample_percent": 1–50,'
    ' "metric": "opens" | "clicks", "wait_minutes": 5–10080}'
)


class CampaignIn(BaseCampaignIn):
    send_at: str | None = Field(None, description=SEND_AT)
    window: dict[str, Any] | None = Field(None, description=WINDOW)
    exclusion_group: str = Field("", description="slug ≤ 64 characters")
    exclusion_window_hours: int = Field(24, description="1 … 720")
    ab_test: dict[str, Any] | None = Field(None, description=AB_TEST)


class CampaignPatch(BaseCampaignPatch):
    send_at: str | None = Field(None, description=SEND_AT)
    window: dict[str, Any] | None = Field(None, description=WINDOW)
    exclusion_group: str | None = None
    exclusion_window_hours: int | None = None
    ab_test: dict[str, Any] | None = Field(None, description=AB_TEST)


NULLABLE = ("segment", "segment_id", "send_at", "window", "ab_test")


class CampaignOut(BaseCampaignOut):
    send_at: datetime | None = None
    window: dict[str, str] | None = None
    exclusion_group: str = ""
    exclusion_window_hours: int = 24
    exclusions: dict[str, Any] = {}
    ab_test: dict[str, Any] | None = None
    ab_phase: str = ""
    ab_winner: int | None = None
    ab_decided_at: datetime | None = None
    ab_decision_due_at: datetime | None = None


class WinnerIn(In):
    variant: int = Field(ge=0, le=4, description="the winning variant's index")


class VariantOut(Schema):
    variant: int
    kind: str
    label: str
    recipients: int
    attempted: int
    opens_human: int
    clicks_human: int
    open_rate: Fraction
    click_rate: Fraction
    winner: bool


class ComparisonOut(Schema):
    rate: str
    campaign: Fraction
    median: Fraction
    difference: Fraction


class CampaignReportOut(BaseCampaignReportOut):
    variants: list[VariantOut] = []
    exclusions: dict[str, Any] = {}
    compared_with: list[int] = []
    comparison: list[ComparisonOut] = []
