"""What the delivery layer announces to the layers above it (they connect receivers)."""

from django.dispatch import Signal

# Sent inside the batch record's transaction with `deliveries`: rows the relay refused
# permanently in this batch (state already `bounced`, `last_code`/`last_reply` set). The
# feedback layer turns each into a bounce fact and decides what follows.
refused = Signal()
