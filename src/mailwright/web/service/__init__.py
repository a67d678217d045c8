"""Service → Templates (copy a starter, edit each language with a live preview, send a test)
and Service → Messages (the messages sent through the API, their events and content)."""
