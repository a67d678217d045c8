"""What the segment builder offers: fields grouped for a marketer (contact fields, declared
attributes with their types, topics and their states, tags, dates, engagement, campaigns for
"received"), the operators each kind of field takes, with words instead of op names. The
builder (static/web/segments.js) reads it as JSON; contacts.segments is the grammar."""

from __future__ import annotations

from django.conf import settings

from mailwright.campaigns.models import Campaign
from mailwright.contacts.models import AttributeDefinition, Contact, Subscription, Topic
from mailwright.contacts.segments import BUILT_IN, OPS_BY_KIND

OP_LABELS = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "in": "is any of",
    "exists": "is set",
    "gte": "is at least",
    "lte": "is at most",
    "gt": "is more than",
    "lt": "is less than",
    "before": "is before",
    "after": "is after",
    "within_days": "in the last … days",
    "in_next_days": "in the next … days",
    "month": "month is",
}
# Per kind, labels that read better than the generic ones.
KIND_OP_LABELS = {
    "tag": {"eq": "has tag", "neq": "does not have tag", "in": "has any of the tags"},
    "subscription": {"eq": "is", "neq": "is not", "in": "is any of", "exists": "has any state"},
    # The field's own label says it all ("Opened in the last" [30] days): no operator word.
    "activity": {"eq": ""},
    "purchased": {"exists": ""},
    "received": {"eq": ""},
}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
BUILT_IN_LABELS = {
    "most_engaged": "Most engaged (score ≥ 10)",
    "inactive_90_days": "Inactive for 90 days",
    "inactive_180_days": "Inactive for 180 days",
}


def _field(group: str, value: str, label: str, kind: str, **extra) -> dict:
    return {"group": group, "value": value, "label": label, "kind": kind, **extra}


def catalog() -> dict:
    languages = [[code, f"{name} ({code})"] for code, name in settings.LANGUAGES]
    statuses = [[s.value, s.label.lower()] for s in Contact.Status]
    fields = [
        _field("Contact", "email", "Email", "text"),
        _field("Contact", "name", "Name", "text"),
        _field("Contact", "language", "Language", "text", choices=languages),
        _field("Contact", "status", "Status", "text", choices=statuses),
        _field("Contact", "tag", "Tag", "tag"),
    ]
    for d in AttributeDefinition.objects.order_by("key"):
        kind = d.type if d.type in ("number", "date", "bool") else "string"
        label = f"{d.label or d.key} ({d.type})"
        fields.append(_field("Attributes", f"attributes.{d.key}", label, kind))
    for t in Topic.objects.order_by("name"):
        fields.append(
            _field("Subscriptions", f"subscription:{t.key}", t.name, "subscription", topic=t.key)
        )
    fields += [
        _field("Dates", "created_at", "Added", "created_at"),
        _field("Dates", "birthday", "Birthday", "anniversary"),
        _field("Dates", "anniversary", "Anniversary", "anniversary"),
        _field("Engagement", "engagement", "Engagement score", "engagement"),
        _field("Engagement", "opened_within", "Opened in the last", "activity"),
        _field("Engagement", "clicked_within", "Clicked in the last", "activity"),
        _field("Engagement", "inactive_for", "No open or click for", "activity"),
        _field("Engagement", "purchased", "Purchased (ever)", "purchased"),
        _field("Engagement", "purchased_within", "Purchased in the last", "activity"),
    ]
    campaigns = Campaign.objects.exclude(state=Campaign.State.DRAFT).order_by("-id")[:200]
    fields.append(
        _field(
            "Engagement",
            "received",
            "Received campaign",
            "received",
            choices=[[c.pk, f"{c.name} (#{c.pk})"] for c in campaigns],
        )
    )
    fields.append(
        _field(
            "Built-in",
            "builtin",
            "Built-in segment",
            "builtin",
            choices=[[name, BUILT_IN_LABELS.get(name, name)] for name in BUILT_IN],
        )
    )
    ops = {
        kind: [[op, KIND_OP_LABELS.get(kind, {}).get(op, OP_LABELS[op])] for op in op_list]
        for kind, op_list in OPS_BY_KIND.items()
    }
    ops["received"] = [["eq", ""]]  # one campaign at a time in the builder
    ops["builtin"] = [["eq", "is"]]
    return {
        "fields": fields,
        "ops": ops,
        "states": [s.value for s in Subscription.State],
        "months": MONTHS,
    }
