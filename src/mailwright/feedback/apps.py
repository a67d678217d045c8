from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "mailwright.feedback"
    label = "feedback"
    verbose_name = "Feedback"
