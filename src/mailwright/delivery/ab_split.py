"""An A/B test's variants and its random sample (SPEC §4.6)."""

from __future__ import annotations

import math

from mailwright.campaigns.models import Campaign, Template

CHUNK = 500  # ids per INSERT … SELECT … WHERE id IN (…) (SQLite's variable limit)


def variant_sources(campaign: Campaign) -> list[tuple[str, Template]]:
    """(subject, template) of each variant, in index order; the campaign's own when it has
    no A/B test. A subject variant keeps the campaign's template."""
    base = campaign.template
    if not campaign.ab_test:
        return [(base.subject, base)]
    wanted = [v["template"] for v in campaign.ab_test["variants"] if "template" in v]
    templates = Template.objects.in_bulk(wanted)
    out = []
    for v in campaign.ab_test["variants"]:
        if "subject" in v:
            out.append((v["subject"], base))
        else:
            tpl = templates.get(v["template"]) or base
            out.append((tpl.subject, tpl))
    return out


def sample_size(total: int, ab_test: dict) -> int:
    variants = len(ab_test["variants"])
    wanted = math.ceil(total * ab_test["sample_percent"] / 100)
    return min(total, max(wanted, variants))


def sample(members, ab_test: dict) -> list[list[int]]:
    """Contact ids of a random sample of `members`, dealt out to the variants in turn (so
    the groups differ in size by one at most)."""
    variants = len(ab_test["variants"])
    n = sample_size(members.count(), ab_test)
    ids = list(members.order_by("?").values_list("id", flat=True)[:n])
    return [ids[i::variants] for i in range(variants)]


def chunks(ids: list[int], size: int = CHUNK):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
