from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "mailwright.surveys"
    label = "surveys"
    verbose_name = "Surveys"
