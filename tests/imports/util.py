"""Helpers shared by the import tests: a file on disk, and an import run start to finish
through the service functions (the path the CLI, the API and the UI all take)."""

from __future__ import annotations

from pathlib import Path

from mailwright.audit.actors import Actor
from mailwright.imports import service
from mailwright.imports.models import Import

CLI = Actor(channel="cli", actor="test operator")


def write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(
    path: Path,
    *,
    topics: list[str],
    basis: str = "existing customers",
    mapping: dict | None = None,
    confirm_risky: bool = True,
    send_optin: bool = False,
    **options,
) -> Import:
    imp = service.create(path, name=path.name, by=CLI)
    service.configure(
        imp,
        mapping=mapping,
        topic_keys=topics,
        basis=basis,
        send_optin=send_optin,
        by=CLI,
        **options,
    )
    service.start(imp, by=CLI, confirm_risky=confirm_risky)
    return service.process(imp.pk)


def issues(imp: Import) -> list[tuple[int, str, str]]:
    """(line, outcome, reason) of every reported row."""
    return list(imp.issues.order_by("record").values_list("line", "outcome", "reason"))
