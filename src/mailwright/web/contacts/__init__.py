"""Contacts: the list, adding and editing a person (rectification), subscribing them to a topic
or unsubscribing them, their consent proof, export (access request) and erasure."""
