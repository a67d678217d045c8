"""Multi-row INSERT and UPDATE in one round trip (executemany), for the import's batched
write path: Django's bulk_create prepares every value of every object through its field
(~10 µs a value), which made a million-row import spend most of its time there. Here the
caller gives values already in database form for the columns it sets; every other column
gets its field's default, prepared once per call, so a column added later with a default
needs no change here."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime

from django.db import connection
from django.db.models import Model


def db_datetime(value: datetime | None):
    return connection.ops.adapt_datetimefield_value(value)


def db_date(value: date | None):
    return connection.ops.adapt_datefield_value(value)


def db_json(model: type[Model], attname: str, value):
    return model._meta.get_field(attname).get_db_prep_save(value, connection)


def json_text(value) -> str:
    """A JSONField value (no custom encoder) as the text Django writes, for insert_rows:
    SQLite stores the text, PostgreSQL's COPY parses it into jsonb."""
    return json.dumps(value)


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
    rows = [row + extra for row in rows] if extra else rows
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, rows)  # SQLite reuses the prepared statement: fast
            return
        # psycopg's client-side cursor quotes every value in Python and sends an
        # executemany as one statement per row: COPY streams the rows instead.
        table = qn(meta.db_table)
        names = ", ".join(qn(c) for c in columns)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


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


def _chunk_size() -> int:
    if connection.vendor == "postgresql":
        return 50_000  # one array parameter: no limit on the number of values
    raw = connection.connection
    if connection.vendor == "sqlite" and raw is not None:
        return max(1, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 10)
    return connection.features.max_query_params or 999


def _where_in(column: str, values: list) -> Iterator[tuple[str, list]]:
    """(`column IN (…)`, params) per chunk of values; on PostgreSQL `column = ANY(%s)` with
    one array parameter, which psycopg sends as one value instead of quoting thousands."""
    connection.ensure_connection()
    size = _chunk_size()
    for start in range(0, len(values), size):
        chunk = list(values[start : start + size])
        if connection.vendor == "postgresql":
            yield f"{column} = ANY(%s)", [chunk]
        else:
            yield f"{column} IN ({', '.join(['%s'] * len(chunk))})", chunk


def select_in(
    model: type[Model], attnames: tuple[str, ...], attname: str, values: list
) -> list[tuple]:
    """The `attnames` columns of the rows whose `attname` is one of `values` (raw SQL: the
    ORM's `__in` prepared each value through its field, ~8 µs a value)."""
    meta, qn = model._meta, connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(a).column) for a in attnames)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for where, params in _where_in(qn(meta.get_field(attname).column), values):
            cursor.execute(f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {where}", params)  # noqa: S608
            found.extend(cursor.fetchall())
    return found


def objects_in(model: type[Model], attname: str, values: list) -> list[Model]:
    """The model instances whose `attname` is one of `values` (raw SQL, as select_in)."""
    meta, qn = model._meta, connection.ops.quote_name
    found: list[Model] = []
    for where, params in _where_in(qn(meta.get_field(attname).column), values):
        sql = f"SELECT * FROM {qn(meta.db_table)} WHERE {where}"  # noqa: S608
        found.extend(model.objects.raw(sql, params))
    return found
