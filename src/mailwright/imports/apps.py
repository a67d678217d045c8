from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "mailwright.imports"
    label = "imports"
    verbose_name = "Imports"
