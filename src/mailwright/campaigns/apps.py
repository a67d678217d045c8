from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "mailwright.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
