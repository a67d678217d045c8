"""The reputation banners of the staff UI: one sentence per figure of a stream at warning or
over. The figures themselves are the read model in mailwright.feedback.reputation."""

from __future__ import annotations

from mailwright.feedback.reputation import OK, StreamReputation


def alerts(reports: list[StreamReputation]) -> list[str]:
    """One sentence per figure at warning or over, for the banners."""
    out = []
    for report in reports:
        for figure in report.figures:
            assessment = figure.assessment
            if assessment.status != OK:
                out.append(
                    f"{report.stream.capitalize()} mail: {figure.measure.lower()}"
                    f" {assessment.percent} — {assessment.label} ({figure.reference}), across"
                    f" {report.attempted:,} deliveries in the last 7 days"
                )
    return out
