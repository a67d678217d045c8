"""Multi-row INSERT and UPDATE in one round trip (executemany), for the import's batched
write path: Django's bulk_create prepares every value of every object through its field
(~10 µs a value), which made a million-row import spend most of its time there. Here the
caller gives values already in database form for the columns it sets; every other column
gets its field's default, prepared once per call, so a column added later with a default
needs no change here."""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.db.models import Model


def db_datetime(value: datetime | None):
    return connection.ops.adapt_datetimefield_value(value)


def db_date(value: date | None):
    return connection.ops.adapt_datefield_value(value)


def db_json(model: type[Model], attname: str, value):
    return model._meta.get_field(attname).get_db_prep_save(value, connection)


def _defaults(model: type[Model], given: set[str], now: datetime) -> tuple[list[str], tuple]:
    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in given:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        value = now if auto else f.get_default()
        columns.append(f.column)
        values.append(f.get_db_prep_save(value, connection))
    return columns, tuple(values)


def insert_rows(
    model: type[Model], attnames: tuple[str, ...], rows: list[tuple], *, now: datetime
) -> None:
    """INSERT one row per tuple (values for `attnames`, in database form)."""
    if not rows:
        return
    meta = model._meta
    extra_columns, extra = _defaults(model, set(attnames), now)
    columns = [meta.get_field(a).column for a in attnames] + extra_columns
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [row + extra for row in rows] if extra else rows)


def update_rows(model: type[Model], attnames: tuple[str, ...], rows: list[tuple]) -> None:
    """UPDATE by primary key: each tuple is the values for `attnames` then the pk."""
    if not rows:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(meta.get_field(a).column)} = %s" for a in attnames)
    sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
