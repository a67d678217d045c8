"""The body of an import: the file in batches, one transaction each (imports.batch), the
resume point saved with the batch, a heartbeat so a dead run can be taken over."""

from __future__ import annotations

from mailwright.imports.models import Import


def run(import_id: int) -> Import:
    """Import the records after records_done; returns the import in its final state."""
    raise NotImplementedError
