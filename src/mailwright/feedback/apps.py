from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "mailwright.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        # Connect the receivers: relay events in, domain events and bounces at send time.
        from mailwright.feedback import bounces, events  # noqa: F401
