from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "mailwright.delivery"
    label = "delivery"
    verbose_name = "Delivery"

    def ready(self) -> None:
        # Connect the receivers: erasure, service mail the consent layer asks for.
        from mailwright.delivery import privacy, service  # noqa: F401
