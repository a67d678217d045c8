from django.apps import AppConfig


class APIConfig(AppConfig):
    name = "mailwright.api"
    label = "api"
    verbose_name = "API"
