"""Contact import (SPEC §2.3): streamed CSV/TSV/JSON-lines files, column mapping, per-row
validation, deduplication, consent, and a report."""
