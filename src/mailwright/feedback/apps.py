from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "mailwright.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from mailwright.feedback import relay_events  # noqa: F401 - connects the receiver
