from django.apps import AppConfig


class TransactionalConfig(AppConfig):
    name = "mailwright.transactional"
    label = "transactional"
    verbose_name = "Service messages"
