"""Segments: a JSON filter tree compiled to a Django Q that runs on SQLite and PostgreSQL.

Tree grammar:
  {"and": [NODE, ...]} | {"or": [NODE, ...]} | {"not": NODE}
  {"field": NAME, "op": OP, "value": VALUE}
NAME: email, name, language, status, tag, or attributes.KEY; also
  engagement (op gte/lte, a number): the engagement score;
  opened_within / clicked_within (op eq, days): a human open/click in the last N days;
  inactive_for (op eq, days): no human open or click in the last N days.
OP: eq, neq, contains, in, exists (attributes only), gte, lte.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.db.models import BooleanField, Exists, Func, OuterRef, Q
from django.utils import timezone

from mailwright.contacts.models import Contact

FIELDS = {"email", "name", "language", "status", "tag"}
ACTIVITY = {
    "opened_within": ["opened"],
    "clicked_within": ["clicked"],
    "inactive_for": ["opened", "clicked"],
}
OPS = {"eq", "neq", "contains", "in", "exists", "gte", "lte"}
# Built-in segments (SPEC §2.6): rewards for the most engaged, re-engagement and sunset.
BUILT_IN = {
    "most_engaged": {"field": "engagement", "op": "gte", "value": 10},
    "inactive_90_days": {"field": "inactive_for", "value": 90},
    "inactive_180_days": {"field": "inactive_for", "value": 180},
}
MAX_DEPTH = 8
MAX_NODES = 200
_ATTR_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class SegmentError(ValueError):
    """The filter tree is malformed; the message names the offending node."""


def compile_segment(tree: dict | None) -> Q:
    if tree is None:
        return Q()
    counter = [0]
    return _node(tree, "segment", 0, counter)


def _node(node, path: str, depth: int, counter: list[int]) -> Q:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise SegmentError(f"segment has more than {MAX_NODES} conditions")
    if depth > MAX_DEPTH:
        raise SegmentError(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict):
        raise SegmentError(f"{path}: expected an object")
    if "and" in node or "or" in node:
        key = "and" if "and" in node else "or"
        children = node[key]
        if not isinstance(children, list) or not children:
            raise SegmentError(f"{path}.{key}: expected a non-empty list")
        qs = [_node(c, f"{path}.{key}[{i}]", depth + 1, counter) for i, c in enumerate(children)]
        result = qs[0]
        for q in qs[1:]:
            result = (result & q) if key == "and" else (result | q)
        return result
    if "not" in node:
        return ~_node(node["not"], f"{path}.not", depth + 1, counter)
    if "builtin" in node:
        name = node["builtin"]
        if name not in BUILT_IN:
            raise SegmentError(
                f"{path}: unknown built-in segment {name!r} (use {', '.join(sorted(BUILT_IN))})"
            )
        return _node(BUILT_IN[name], f"{path}.builtin", depth + 1, counter)
    return _condition(node, path)


def _condition(node: dict, path: str) -> Q:
    field, op, value = node.get("field"), node.get("op", "eq"), node.get("value")
    if not isinstance(field, str):
        raise SegmentError(f"{path}: a condition needs a 'field'")
    if op not in OPS:
        raise SegmentError(f"{path}: unknown op {op!r} (use one of {', '.join(sorted(OPS))})")
    if field == "engagement":
        if (
            op not in {"gte", "lte"}
            or isinstance(value, bool)
            or not isinstance(value, (int, float))
        ):
            raise SegmentError(f"{path}: engagement uses gte/lte with a number")
        return Q(**{f"engagement_score__{op}": value})
    if field in ACTIVITY:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
            raise SegmentError(f"{path}: {field} needs a number of days (1-3650)")
        # Events belong to a higher layer: reached through the relation, not imported.
        events = Contact._meta.get_field("events").related_model
        recent = events.objects.filter(
            contact=OuterRef("pk"),
            type__in=ACTIVITY[field],
            machine=False,
            created_at__gte=timezone.now() - timedelta(days=value),
        )
        return ~Q(Exists(recent)) if field == "inactive_for" else Q(Exists(recent))
    if op in {"gte", "lte"}:
        raise SegmentError(f"{path}: gte/lte work on engagement only")
    if field.startswith("attributes."):
        key = field.split(".", 1)[1]
        if not _ATTR_KEY.match(key):
            raise SegmentError(f"{path}: attribute name {key!r} is not allowed")
        lookup = f"attributes__{key}"
        if op == "exists":
            return Q(**{"attributes__has_key": key})
    elif field in FIELDS:
        lookup = field
        if op == "exists":
            raise SegmentError(f"{path}: 'exists' works on attributes only")
    else:
        raise SegmentError(f"{path}: unknown field {field!r}")

    if field == "tag":
        if op not in {"eq", "neq"} or not isinstance(value, str):
            raise SegmentError(f"{path}: tag conditions use eq/neq with a text value")
        return _has_tag(value) if op == "eq" else ~_has_tag(value)
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise SegmentError(f"{path}: 'in' needs a list of 1 to 1,000 values")
        if not all(isinstance(v, (str, int, float, bool)) for v in value):
            raise SegmentError(f"{path}: 'in' values must be text, numbers or true/false")
        return Q(**{f"{lookup}__in": value})
    if not isinstance(value, (str, int, float, bool)):
        raise SegmentError(f"{path}: value must be text, a number or true/false")
    if op == "contains":
        return Q(**{f"{lookup}__icontains": str(value)})
    q = Q(**{lookup: value})
    return q if op == "eq" else ~q


class _JsonArrayHas(Func):
    """SQLite: the JSON array column holds this exact text element (json_each; LIKE or
    instr would let `vip` match `not-vip`)."""

    template = (
        "EXISTS (SELECT 1 FROM json_each(%(expressions)s) AS tag"
        " WHERE tag.type = 'text' AND tag.value = %%s)"
    )
    arity = 1
    output_field = BooleanField()

    def __init__(self, column: str, tag: str) -> None:
        super().__init__(column)
        self.tag = tag

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        return sql, (*params, self.tag)


def _has_tag(tag: str) -> Q:
    """Contacts whose tags include exactly `tag` (case-sensitive, as stored)."""
    if connection.vendor == "sqlite":
        return Q(_JsonArrayHas("tags", tag))
    return Q(tags__contains=[tag])  # JSON containment (PostgreSQL: jsonb @>)
