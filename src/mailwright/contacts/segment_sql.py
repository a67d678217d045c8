"""SQL pieces the segment compiler (contacts.segments) needs where the ORM's lookups differ
between SQLite and PostgreSQL: typed reads out of the `attributes` JSON column, tags held in
the `tags` JSON array, and the month-and-day of a date (birthdays, anniversaries).

Every condition built here is two-valued: a missing attribute, a value of the wrong JSON
type or a NULL date makes it FALSE, never NULL, so `{"not": ...}` of it is its exact
complement (a contact without `orders` is in "not orders >= 3")."""

from __future__ import annotations

import json

from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func, Q


class Condition(Func):
    """A boolean SQL fragment over one column of the contact row, written per database as
    (template, params): `{col}` in a template is the column, `%s` placeholders take the
    params in order."""

    arity = 1
    output_field = BooleanField()

    def __init__(
        self,
        column: str,
        *,
        sqlite: tuple[str, tuple],
        postgresql: tuple[str, tuple],
        never_null: bool = False,
    ) -> None:
        super().__init__(F(column))
        self.variants = {"sqlite": sqlite, "postgresql": postgresql}
        # A fragment that cannot be NULL goes bare, so an index can answer it (PostgreSQL
        # uses the GIN index on tags for `tags @> ...`, not for COALESCE(tags @> ..., FALSE)).
        self.never_null = never_null

    def as_sql(self, compiler, connection, **extra):
        col_sql, col_params = compiler.compile(self.source_expressions[0])
        if connection.vendor not in self.variants:
            raise NotSupportedError(
                f"segments run on SQLite and PostgreSQL, not {connection.vendor}"
            )
        template, params = self.variants[connection.vendor]
        # A column reference has no parameters; the template's own follow in order.
        sql = template.format(col=col_sql)
        sql = f"({sql})" if self.never_null else f"COALESCE(({sql}), FALSE)"
        return sql, (*col_params, *params)


def _path(key: str) -> str:
    return f'$."{key}"'  # keys are checked against segments.ATTR_KEY: no quote can occur


def attribute_number(key: str, op: str, value: int | float) -> Q:
    """`attributes.KEY <op> value`, comparing numbers as numbers (JSON numbers only)."""
    path = _path(key)
    return Q(
        Condition(
            "attributes",
            sqlite=(
                "CASE WHEN json_type({col}, %s) IN ('integer', 'real')"
                f" THEN json_extract({{col}}, %s) END {op} %s",
                (path, path, value),
            ),
            postgresql=(
                "CASE WHEN jsonb_typeof({col} -> %s) = 'number'"
                f" THEN ({{col}} ->> %s)::numeric END {op} CAST(%s AS numeric)",
                (key, key, value),
            ),
        )
    )


def attribute_text(key: str, op: str, value: str) -> Q:
    """`attributes.KEY <op> value` over JSON strings compared as text in code-point order
    on both databases (ISO dates sort as dates)."""
    path = _path(key)
    return Q(
        Condition(
            "attributes",
            sqlite=(
                "CASE WHEN json_type({col}, %s) = 'text'"
                f" THEN json_extract({{col}}, %s) END {op} %s",
                (path, path, value),
            ),
            postgresql=(
                "CASE WHEN jsonb_typeof({col} -> %s) = 'string'"
                f' THEN ({{col}} ->> %s) END COLLATE "C" {op} %s',
                (key, key, value),
            ),
        )
    )


def attribute_bool(key: str, value: bool) -> Q:
    """`attributes.KEY` is the JSON value true (or false)."""
    word = "true" if value else "false"
    return Q(
        Condition(
            "attributes",
            sqlite=("json_type({col}, %s) = %s", (_path(key), word)),
            postgresql=("({col} -> %s) = CAST(%s AS jsonb)", (key, word)),
        )
    )


def has_any_tag(tags: list[str]) -> Q:
    """Contacts whose tags include exactly one of `tags` (case-sensitive, as stored). On
    SQLite through json_each (LIKE or instr would let `vip` match `not-vip`); on PostgreSQL
    by JSON containment (`tags @> '["vip"]'`, which the GIN index of migration
    0004_segment_indexes answers)."""
    marks = ", ".join(["%s"] * len(tags))  # placeholders only: the tags are parameters
    in_json = "EXISTS (SELECT 1 FROM json_each({col}) AS tag WHERE tag.type = 'text'"
    in_json += f" AND tag.value IN ({marks}))"
    contains = " OR ".join(["{col} @> CAST(%s AS jsonb)"] * len(tags))
    return Q(
        Condition(
            "tags",
            sqlite=(in_json, tuple(tags)),
            postgresql=(contains, tuple(json.dumps([tag]) for tag in tags)),
            never_null=True,  # tags is NOT NULL; EXISTS is never NULL
        )
    )


# Month and day of a date column as one number, MMDD (e.g. 1231), on both databases.
_MONTH_DAY = {
    "sqlite": "CAST(strftime('%%m%%d', {col}) AS INTEGER)",
    "postgresql": "(EXTRACT(MONTH FROM {col}) * 100 + EXTRACT(DAY FROM {col}))",
}


def month_day_between(column: str, ranges: list[tuple[int, int]]) -> Q:
    """The date's MMDD falls in any of the inclusive `ranges` (year ignored)."""
    parts = " OR ".join(["({md} BETWEEN %s AND %s)"] * len(ranges))
    params = tuple(bound for pair in ranges for bound in pair)
    return Q(
        Condition(
            column,
            sqlite=(parts.replace("{md}", _MONTH_DAY["sqlite"]), params),
            postgresql=(parts.replace("{md}", _MONTH_DAY["postgresql"]), params),
        )
    )
