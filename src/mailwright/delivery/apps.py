from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "mailwright.delivery"
    label = "delivery"
    verbose_name = "Delivery"
