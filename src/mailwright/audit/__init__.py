"""The bottom layer every app may use: who acted (`Actor`), the audit log of every state
change (`record`), and the domain-event bus lower apps use to announce what happened
(`events.emit`) without importing the apps that react to it."""
