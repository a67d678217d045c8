"""A survey's report: how many answered, the distribution per score, the average, the Net
Promoter Score for 0-10 surveys (% promoters 9-10 minus % detractors 0-6), and the comments,
newest first."""

from __future__ import annotations

from django.db.models import Count

from mailwright.campaigns.survey_links import SCALES
from mailwright.surveys.models import Survey, SurveyResponse

COMMENTS = 100


def report(survey: Survey, *, comments: int = COMMENTS) -> dict:
    rows = SurveyResponse.objects.filter(survey=survey)
    counts = dict(rows.values_list("score").annotate(n=Count("id")).order_by())
    total = sum(counts.values())
    scores = list(SCALES.get(survey.scale, SCALES["stars"]))
    # A score off today's scale (the scale was changed after answers came in) still shows.
    scores += sorted(s for s in counts if s not in scores)
    widest = max(counts.values(), default=0)
    distribution = [
        {
            "score": s,
            "count": counts.get(s, 0),
            "percent": round(100 * counts.get(s, 0) / total, 1) if total else 0.0,
            "bar": round(100 * counts.get(s, 0) / widest) if widest else 0,
        }
        for s in scores
    ]
    average = round(sum(s * n for s, n in counts.items()) / total, 2) if total else None
    out = {
        "survey": survey.key,
        "name": survey.name,
        "scale": survey.scale,
        "count": total,
        "average": average,
        "distribution": distribution,
        "nps": None,
        "promoters": None,
        "passives": None,
        "detractors": None,
        "comments": [],
    }
    if survey.scale == Survey.Scale.NPS:
        promoters = sum(n for s, n in counts.items() if s >= 9)
        detractors = sum(n for s, n in counts.items() if s <= 6)
        out["promoters"], out["detractors"] = promoters, detractors
        out["passives"] = total - promoters - detractors
        if total:
            out["nps"] = round(100 * promoters / total - 100 * detractors / total)
    latest = (
        rows.exclude(comment="").select_related("contact").order_by("-updated_at", "-id")[:comments]
    )
    out["comments"] = [
        {
            "score": r.score,
            "comment": r.comment,
            "contact": r.contact_id,
            "email": r.contact.email,
            "at": r.updated_at,
        }
        for r in latest
    ]
    return out
