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

        post_migrate.connect(library.after_migrate, sender=self, dispatch_uid="mw.starters")
