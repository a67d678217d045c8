"""Privacy: the consent ledger's health, the latest data-subject requests, finding a person."""
