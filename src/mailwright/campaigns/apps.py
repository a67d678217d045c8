from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CampaignsConfig(AppConfig):
    name = "mailwright.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        # Install or update the starter library of service templates after every migrate.
        from mailwright.campaigns import privacy  # noqa: F401  (erasure and merge receivers)
        from mailwright.campaigns.starters import library
        from mailwright.campaigns.templates import on_brand_changed
        from mailwright.consent.signals import brand_changed

        post_migrate.connect(library.after_migrate, sender=self, dispatch_uid="mw.starters")
        brand_changed.connect(on_brand_changed, dispatch_uid="mw.brand.recompile")
