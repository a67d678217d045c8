from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "mailwright.consent"
    label = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_merge_case_variants, sender=self, dispatch_uid="consent.merge")


def _merge_case_variants(sender, using="default", **_kwargs) -> None:
    """After migrate: contacts whose address differs from an older one only in case are
    merged into it (the migration that made keys case-insensitive leaves them keyless)."""
    from mailwright.consent.merging import merge_case_variants

    merge_case_variants()
