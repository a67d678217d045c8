from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "mailwright.contacts"
    label = "contacts"
    verbose_name = "Contacts"
