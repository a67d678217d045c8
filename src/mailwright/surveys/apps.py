from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "mailwright.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        # Connect the receivers: erasure and merging; surveys found in saved templates.
        from mailwright.surveys import discovery, privacy  # noqa: F401
