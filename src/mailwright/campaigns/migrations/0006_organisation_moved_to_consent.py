# The organisation now belongs to the consent app (same table, see consent 0004).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_campaign_links"),
        ("consent", "0004_organisation_moved_from_campaigns"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Organisation")],
            database_operations=[],
        ),
    ]
