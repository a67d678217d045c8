from django.apps import AppConfig


class TransactionalConfig(AppConfig):
    name = "mailwright.transactional"
    label = "transactional"
    verbose_name = "Service messages"

    def ready(self) -> None:
        # Connect the receivers: erasure and merging.
        from mailwright.transactional import privacy  # noqa: F401
