from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "mailwright.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from mailwright.surveys import discovery  # noqa: F401  (connects the receivers)
