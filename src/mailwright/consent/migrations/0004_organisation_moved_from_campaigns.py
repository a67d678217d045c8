# The organisation (who sends, and the postal address the law asks for) moves from the
# campaigns app to consent, which its public pages and opt-in mail need. Same table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_suppression_moved_from_feedback"),
        ("campaigns", "0005_campaign_links"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Organisation",
                    fields=[
                        (
                            "id",
                            models.PositiveSmallIntegerField(
                                default=1, primary_key=True, serialize=False
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        ("postal_address", models.TextField(blank=True)),
                        ("from_email", models.CharField(max_length=320)),
                        ("from_name", models.CharField(blank=True, max_length=200)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={"db_table": "campaigns_organisation"},
                ),
            ],
            database_operations=[],
        ),
    ]
