"""What the consent layer announces to the layers above it (they connect receivers)."""

from django.dispatch import Signal

# Sent inside the erasure's transaction with `contact`, `email` (the address being erased)
# and `placeholder` (what replaces it): every app removes what it holds about the person.
erasing = Signal()

# Sent with `contact`, `kind`, `subject`, `html`, `text` and `language` when the consent layer
# must mail someone (the double opt-in confirmation): the delivery layer queues it on the
# service stream.
service_mail = Signal()

# Sent inside a merge's transaction with `survivor` (a Contact) and `merged_ids` (the contacts
# about to be deleted): every app moves what it holds about them to the survivor.
merging = Signal()

# Sent inside the brand kit's save transaction (consent.brand_store) with `brand` (the saved
# Brand): the campaigns layer recompiles the marketing MJML templates with it.
brand_changed = Signal()
