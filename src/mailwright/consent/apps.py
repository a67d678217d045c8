from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "mailwright.consent"
    label = "consent"
    verbose_name = "Consent"
