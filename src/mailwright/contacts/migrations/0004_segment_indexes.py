"""Indexes segment counts need (bench/segments.py): on PostgreSQL a GIN index over the tags
array, so `tag = vip` (`tags @> '["vip"]'`) reads the tagged contacts instead of every row.
SQLite has no GIN indexes; its json_each scan is what it is (bench/README.md)."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS contact_tags_gin ON contacts_contact"
    " USING gin (tags jsonb_path_ops)"
)
DROP = "DROP INDEX IF EXISTS contact_tags_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_email_key_dates_attributes_segments")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
