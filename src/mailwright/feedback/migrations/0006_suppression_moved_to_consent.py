# The suppression list now belongs to the consent app (same table, see consent 0003).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0005_inbound_rcpt_tos"),
        ("consent", "0003_suppression_moved_from_feedback"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Suppression")],
            database_operations=[],
        ),
    ]
