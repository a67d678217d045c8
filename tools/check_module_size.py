"""No module over 500 lines (migrations aside): a file that grows past it is split by concern.

Prints each offender with its length and exits 1."""

from __future__ import annotations

import sys
from pathlib import Path

LIMIT = 500
ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    bad = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > LIMIT:
            bad.append(f"{rel}: {lines} lines (limit {LIMIT}): split it by concern")
    print("\n".join(bad) or f"every module is within {LIMIT} lines", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
