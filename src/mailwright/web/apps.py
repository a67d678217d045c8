from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mailwright.web"
    label = "web"
    verbose_name = "Web"
