from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "mailwright.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        # Connect the receivers: domain events, bounces at send time, erasure.
        from mailwright.feedback import bounces, events, privacy  # noqa: F401
