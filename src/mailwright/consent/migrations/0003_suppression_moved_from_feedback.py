# The suppression list moves from the feedback app to consent (the lowest layer that must
# consult it). The table stays where it is: only Django's idea of its owner changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0002_privacyaudit_privacysalt_consentevent_contact_ref_and_more"),
        ("delivery", "0009_worker_heartbeat"),
        ("feedback", "0005_inbound_rcpt_tos"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Suppression",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "email",
                            models.CharField(blank=True, max_length=320, null=True, unique=True),
                        ),
                        ("email_hash", models.CharField(max_length=64, unique=True)),
                        (
                            "reason",
                            models.CharField(
                                choices=[
                                    ("hard_bounce", "Hard Bounce"),
                                    ("complaint", "Complaint"),
                                    ("manual", "Manual"),
                                    ("erased", "Erased"),
                                    ("soft_bounces", "Soft Bounces"),
                                ],
                                max_length=24,
                            ),
                        ),
                        ("detail", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField()),
                        (
                            "delivery",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to="delivery.delivery",
                            ),
                        ),
                    ],
                    options={"ordering": ["-id"], "db_table": "feedback_suppression"},
                ),
            ],
            database_operations=[],
        ),
    ]
