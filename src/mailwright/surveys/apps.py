from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "mailwright.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        # Connect the receivers: erasure and merging.
        from mailwright.surveys import privacy  # noqa: F401
