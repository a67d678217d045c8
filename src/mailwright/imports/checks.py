"""The address check an import applies to every row, behind one name so the import does not
care where it comes from: contacts.hygiene's offline Checker (syntax, role accounts,
disposable domains, typos) and its streaming Summary (docs/hygiene.md)."""

from __future__ import annotations

from mailwright.contacts.hygiene import Checker, Summary, Verdict

__all__ = ["Checker", "Summary", "Verdict"]
