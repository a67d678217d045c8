"""Segments: a JSON filter tree compiled to one Django Q (one SQL query, subqueries as
EXISTS) that runs on SQLite and PostgreSQL alike. The grammar, with an example of every
condition, is in docs/segments.md; in short:

  {"and": [NODE, ...]} | {"or": [NODE, ...]} | {"not": NODE} | {"builtin": NAME}
  {"field": NAME, "op": OP, "value": VALUE}                      a condition

Fields (ops in brackets, the first is the default when "op" is left out):
  email, name, language, status      [eq, neq, contains, in]
  tag                                [eq, neq, in]  exact tags; "in": has any of a list
  attributes.KEY                     by the declared type (AttributeDefinition):
      number  [eq, neq, gte, lte, gt, lt, in, exists]  compared as numbers
      date    [eq, neq, before, after, exists]         ISO text YYYY-MM-DD
      bool    [eq, neq, exists]                        true / false
      string or undeclared [eq, neq, contains, in, exists]
  subscription + "topic": KEY        [eq, neq, in, exists]  pending/confirmed/unsubscribed
  created_at                         [before, after, within_days]
  birthday, anniversary              [in_next_days, month, before, after, exists]
  engagement                         [gte, lte]  the engagement score
  opened_within, clicked_within      value: days  a human open/click in the last N days
  inactive_for                       value: days  no human open or click in N days
  purchased_within                   value: days  a purchase event in the last N days
  purchased                          [exists]     ever purchased
  received                           [eq, in]     campaign id(s): a delivery that was sent

Errors raise SegmentError naming the node: `segment.and[2].value: expected a number`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from mailwright.contacts import segment_sql as sql
from mailwright.contacts.models import AttributeDefinition, Contact, Subscription, Topic

TEXT_FIELDS = {"email", "name", "language", "status"}
DATE_FIELDS = {"birthday", "anniversary"}
ACTIVITY = {
    "opened_within": ["opened"],
    "clicked_within": ["clicked"],
    "inactive_for": ["opened", "clicked"],
    "purchased_within": ["purchased"],
}
SUBSCRIPTION_STATES = [s.value for s in Subscription.State]
# Which ops each kind of field takes (the builder UI offers exactly these).
OPS_BY_KIND = {
    "text": ["eq", "neq", "contains", "in"],
    "tag": ["eq", "neq", "in"],
    "string": ["eq", "neq", "contains", "in", "exists"],
    "number": ["eq", "neq", "gte", "lte", "gt", "lt", "in", "exists"],
    "date": ["eq", "neq", "before", "after", "exists"],
    "bool": ["eq", "neq", "exists"],
    "subscription": ["eq", "neq", "in", "exists"],
    "created_at": ["before", "after", "within_days"],
    "anniversary": ["in_next_days", "month", "before", "after", "exists"],
    "engagement": ["gte", "lte"],
    "activity": ["eq"],
    "purchased": ["exists"],
    "received": ["eq", "in"],
}
OPS = sorted({op for ops in OPS_BY_KIND.values() for op in ops})
# Built-in segments (SPEC §2.6): rewards for the most engaged, re-engagement and sunset.
BUILT_IN = {
    "most_engaged": {"field": "engagement", "op": "gte", "value": 10},
    "inactive_90_days": {"field": "inactive_for", "value": 90},
    "inactive_180_days": {"field": "inactive_for", "value": 180},
}
MAX_DEPTH = 8
MAX_NODES = 200
MAX_DAYS = 3650
ATTR_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_COMPARE = {"gte": ">=", "lte": "<=", "gt": ">", "lt": "<", "eq": "=", "before": "<", "after": ">"}


class SegmentError(ValueError):
    """The filter tree is malformed. `node` is the path of the offending node (e.g.
    `segment.and[2]`), `path` the node and its part (`segment.and[2].value`)."""

    def __init__(self, node: str, message: str, part: str = "") -> None:
        self.node = node
        self.path = f"{node}.{part}" if part else node
        self.message = message
        super().__init__(f"{self.path}: {message}")

    @property
    def root(self) -> str:
        """The name the tree came in as (`segment`, `tree`)."""
        return re.split(r"[.\[]", self.node, maxsplit=1)[0]


class _Context:
    """What one compilation looks up once: declared attribute types, topics, campaigns."""

    def __init__(self) -> None:
        self.nodes = 0
        self._types: dict[str, str] | None = None

    def attribute_type(self, key: str) -> str | None:
        if self._types is None:
            self._types = dict(AttributeDefinition.objects.values_list("key", "type"))
        return self._types.get(key)


def compile_segment(tree: dict | None, root: str = "segment") -> Q:
    """The Q for `tree` (everyone when None); SegmentError names the first bad node, with
    paths starting at `root` (the name of the field the tree came in)."""
    if tree is None:
        return Q()
    return _node(tree, root, 0, _Context())


def _node(node, path: str, depth: int, ctx: _Context) -> Q:
    ctx.nodes += 1
    if ctx.nodes > MAX_NODES:
        raise SegmentError(path, f"the segment has more than {MAX_NODES} conditions")
    if depth > MAX_DEPTH:
        raise SegmentError(path, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict):
        raise SegmentError(path, "expected an object")
    if "and" in node or "or" in node:
        key = "and" if "and" in node else "or"
        children = node[key]
        if not isinstance(children, list) or not children:
            raise SegmentError(path, "expected a non-empty list", key)
        qs = [_node(c, f"{path}.{key}[{i}]", depth + 1, ctx) for i, c in enumerate(children)]
        result = qs[0]
        for q in qs[1:]:
            result = (result & q) if key == "and" else (result | q)
        return result
    if "not" in node:
        return ~_node(node["not"], f"{path}.not", depth + 1, ctx)
    if "builtin" in node:
        name = node["builtin"]
        if not isinstance(name, str) or name not in BUILT_IN:
            raise SegmentError(
                path,
                f"unknown built-in segment {str(name)[:40]!r} (use {', '.join(sorted(BUILT_IN))})",
                "builtin",
            )
        return _node(BUILT_IN[name], f"{path}.builtin", depth + 1, ctx)
    return _condition(node, path, ctx)


def kind_of(field: str, ctx: _Context | None = None) -> str | None:
    """The kind of a field name (a key of OPS_BY_KIND), None when there is no such field."""
    if field in TEXT_FIELDS:
        return "text"
    if field.startswith("attributes."):
        declared = (ctx or _Context()).attribute_type(field.split(".", 1)[1])
        return declared if declared in {"number", "date", "bool"} else "string"
    if field in DATE_FIELDS:
        return "anniversary"
    if field in ACTIVITY:
        return "activity"
    simple = {"tag", "subscription", "created_at", "engagement", "purchased", "received"}
    return field if field in simple else None


def _condition(node: dict, path: str, ctx: _Context) -> Q:
    field = node.get("field")
    if not isinstance(field, str):
        raise SegmentError(path, "a condition needs a 'field' (or use and/or/not/builtin)")
    kind = kind_of(field, ctx)
    if kind is None:
        raise SegmentError(path, f"unknown field {field[:80]!r}", "field")
    if kind == "string" and not ATTR_KEY.match(field.split(".", 1)[1]):
        raise SegmentError(path, f"attribute name {field[11:][:80]!r} is not allowed", "field")
    ops = OPS_BY_KIND[kind]
    op = node.get("op", ops[0])
    if op not in ops:
        raise SegmentError(path, f"{field} takes op {', '.join(ops)} (not {str(op)[:20]!r})", "op")
    value = node.get("value")
    return BUILDERS[kind](_Cond(path, field, op, value, node), ctx)


class _Cond:
    """One condition being compiled: its parts, and errors that name them."""

    def __init__(self, path: str, field: str, op: str, value, node: dict) -> None:
        self.path, self.field, self.op, self.value, self.node = path, field, op, value, node

    def error(self, message: str, part: str = "value") -> SegmentError:
        return SegmentError(self.path, message, part)

    def days(self, low: int = 1, high: int = MAX_DAYS) -> int:
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise self.error(f"{self.field} needs a number of days ({low}-{high:,})")
        return v

    def text_list(self, limit: int = 1000) -> list:
        v = self.value
        if not isinstance(v, list) or not v or len(v) > limit:
            raise self.error(f"'in' needs a list of 1 to {limit:,} values")
        return v

    def a_date(self) -> date:
        if isinstance(self.value, str):
            try:
                return date.fromisoformat(self.value.strip())
            except ValueError:
                pass
        raise self.error(f"{self.field} needs a date as YYYY-MM-DD, got {str(self.value)[:40]!r}")

    def flag(self) -> bool:
        v = True if self.value is None and self.op == "exists" else self.value
        if not isinstance(v, bool):
            raise self.error(f"{self.op} needs true or false")
        return v


def _plain(lookup: str, c: _Cond) -> Q:
    """eq/neq/contains/in on a column or a string attribute, through the ORM's lookups."""
    if c.op == "in":
        values = c.text_list()
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
            raise c.error("'in' values must be text or numbers")
        return Q(**{f"{lookup}__in": values})
    if isinstance(c.value, bool) or not isinstance(c.value, (str, int, float)):
        raise c.error("value must be text or a number")
    if c.op == "contains":
        return Q(**{f"{lookup}__icontains": str(c.value)})
    q = Q(**{lookup: c.value})
    return q if c.op == "eq" else ~q


def _text(c: _Cond, ctx) -> Q:
    return _plain(c.field, c)


def _tag(c: _Cond, ctx) -> Q:
    if c.op == "in":
        tags = c.text_list(100)
        if not all(isinstance(t, str) and t for t in tags):
            raise c.error("'in' takes a list of tags (text)")
        return sql.has_any_tag(tags)
    if not isinstance(c.value, str) or not c.value:
        raise c.error("tag conditions take a tag (text)")
    q = sql.has_any_tag([c.value])
    return q if c.op == "eq" else ~q


def _attribute(c: _Cond, ctx) -> tuple[str, Q | None]:
    key = c.field.split(".", 1)[1]
    if not ATTR_KEY.match(key):
        raise c.error(f"attribute name {key[:80]!r} is not allowed", "field")
    if c.op == "exists":
        has = Q(attributes__has_key=key)
        return key, has if c.flag() else ~has
    return key, None


def _string(c: _Cond, ctx) -> Q:
    key, done = _attribute(c, ctx)
    return done if done is not None else _plain(f"attributes__{key}", c)


def _number(c: _Cond, ctx) -> Q:
    key, done = _attribute(c, ctx)
    if done is not None:
        return done
    values = c.text_list() if c.op == "in" else [c.value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e15:
            shown = "nothing" if v in ("", None) else repr(str(v)[:40])
            raise c.error(f"{c.field} is a number attribute: give a number, not {shown}")
    if c.op == "in":
        result = sql.attribute_number(key, "=", values[0])
        for v in values[1:]:
            result |= sql.attribute_number(key, "=", v)
        return result
    q = sql.attribute_number(key, _COMPARE.get(c.op, "="), c.value)
    return ~q if c.op == "neq" else q


def _date_attribute(c: _Cond, ctx) -> Q:
    key, done = _attribute(c, ctx)
    if done is not None:
        return done
    day = c.a_date().isoformat()
    q = sql.attribute_text(key, _COMPARE.get(c.op, "="), day)
    return ~q if c.op == "neq" else q


def _bool(c: _Cond, ctx) -> Q:
    key, done = _attribute(c, ctx)
    if done is not None:
        return done
    if not isinstance(c.value, bool):
        raise c.error(f"{c.field} is a true/false attribute: give true or false")
    return sql.attribute_bool(key, c.value if c.op == "eq" else not c.value)


def _subscription(c: _Cond, ctx) -> Q:
    key = c.node.get("topic")
    if not isinstance(key, str) or not key:
        raise c.error("a subscription condition needs a 'topic' (its key)", "topic")
    topic_id = Topic.objects.filter(key=key[:64]).values_list("id", flat=True).first()
    if topic_id is None:
        raise c.error(f"no topic {key[:64]!r}", "topic")
    rows = Subscription.objects.filter(contact=OuterRef("pk"), topic_id=topic_id)
    if c.op == "exists":
        return Q(Exists(rows)) if c.flag() else ~Q(Exists(rows))
    states = c.text_list(3) if c.op == "in" else [c.value]
    bad = [s for s in states if s not in SUBSCRIPTION_STATES]
    if bad:
        raise c.error(
            f"subscription state must be one of {', '.join(SUBSCRIPTION_STATES)},"
            f" not {str(bad[0])[:30]!r}"
        )
    matching = Q(Exists(rows.filter(state__in=states)))
    return ~matching if c.op == "neq" else matching


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _created_at(c: _Cond, ctx) -> Q:
    if c.op == "within_days":
        return Q(created_at__gte=timezone.now() - timedelta(days=c.days()))
    day = c.a_date()
    if c.op == "before":
        return Q(created_at__lt=_start_of(day))
    return Q(created_at__gte=_start_of(day + timedelta(days=1)))


def annual_window(today: date, days: int) -> list[tuple[int, int]]:
    """MMDD ranges of the `days` dates from `today` on (today counts as the first). Someone
    born on 29 February celebrates on 28 February in a year without one."""
    if days >= 366:
        return [(101, 1231)]
    end = today + timedelta(days=days - 1)
    start_md, end_md = today.month * 100 + today.day, end.month * 100 + end.day
    if end_md == 228 and not _leap(end.year):
        end_md = 229
    if end.year == today.year:
        return [(start_md, end_md)]
    return [(start_md, 1231), (101, end_md)]


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _anniversary(c: _Cond, ctx) -> Q:
    if c.op == "exists":
        has = Q(**{f"{c.field}__isnull": False})
        return has if c.flag() else ~has
    if c.op == "in_next_days":
        return sql.month_day_between(c.field, annual_window(timezone.localdate(), c.days(1, 366)))
    if c.op == "month":
        m = c.value
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
            raise c.error("month needs a month number (1-12)")
        return sql.month_day_between(c.field, [(m * 100 + 1, m * 100 + 31)])
    day = c.a_date()
    return Q(**{f"{c.field}__{'lt' if c.op == 'before' else 'gt'}": day})


def _engagement(c: _Cond, ctx) -> Q:
    v = c.value
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise c.error("engagement compares with a number (the score)")
    return Q(**{f"engagement_score__{c.op}": v})


def _events(types: list[str], days: int | None = None):
    # Events belong to a higher layer (feedback): reached through the relation, not imported.
    events = Contact._meta.get_field("events").related_model
    rows = events.objects.filter(contact=OuterRef("pk"), type__in=types, machine=False)
    if days is not None:
        rows = rows.filter(created_at__gte=timezone.now() - timedelta(days=days))
    return Exists(rows)


def _activity(c: _Cond, ctx) -> Q:
    recent = Q(_events(ACTIVITY[c.field], c.days()))
    return ~recent if c.field == "inactive_for" else recent


def _purchased(c: _Cond, ctx) -> Q:
    ever = Q(_events(["purchased"]))
    return ever if c.flag() else ~ever


def _received(c: _Cond, ctx) -> Q:
    ids = c.text_list(100) if c.op == "in" else [c.value]
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        raise c.error("received takes a campaign id (a number)")
    # Deliveries and campaigns belong to higher layers: reached through the relations.
    deliveries = Contact._meta.get_field("deliveries").related_model
    campaigns = deliveries._meta.get_field("campaign").related_model
    found = set(campaigns.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise c.error(f"no campaign {missing[0]}")
    sent = deliveries.objects.filter(contact=OuterRef("pk"), campaign_id__in=ids, state="sent")
    return Q(Exists(sent))


BUILDERS = {
    "text": _text,
    "tag": _tag,
    "string": _string,
    "number": _number,
    "date": _date_attribute,
    "bool": _bool,
    "subscription": _subscription,
    "created_at": _created_at,
    "anniversary": _anniversary,
    "engagement": _engagement,
    "activity": _activity,
    "purchased": _purchased,
    "received": _received,
}
