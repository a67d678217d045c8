"""Settings: the sending organisation (name, postal address, default sender) and the audit
log."""
