"""docs/api.md and the API cannot drift apart: every operation in the OpenAPI document
(/api/v1/openapi.json) is documented as `METHOD /path` (and in the page's list of
OpenAPI operations), and the page names no operation that
does not exist. Path parameters compare by position ({id} in the docs, {contact_id} in the
schema)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailwright.api.api import api

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
# `METHOD /path` in prose and tables, and METHOD /api/v1/... lines (the OpenAPI list).
OPERATION = re.compile(r"(?:`|^)(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/[^`\s?]*)", re.MULTILINE)
# Served by the API but not an operation of its own schema.
SERVED_OUTSIDE_THE_SCHEMA = {("GET", "/openapi.json")}


def normalize(path: str) -> str:
    path = path.removeprefix("/api/v1")
    return re.sub(r"\{[^}/]+\}", "{id}", path).rstrip("/") or "/"


@pytest.fixture(scope="module")
def schema_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), normalize(path))
        for path, item in schema["paths"].items()
        for method in item
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    }


@pytest.fixture(scope="module")
def documented() -> set[tuple[str, str]]:
    return {(method, normalize(path)) for method, path in OPERATION.findall(DOC.read_text())}


def test_the_schema_has_operations(schema_operations):
    assert ("POST", "/contacts") in schema_operations  # the comparison below is not vacuous


def test_every_api_operation_is_in_docs_api_md(schema_operations, documented):
    missing = sorted(schema_operations - documented)
    assert not missing, f"docs/api.md does not document: {missing}"


def test_docs_api_md_names_no_operation_that_does_not_exist(schema_operations, documented):
    unknown = sorted(documented - schema_operations - SERVED_OUTSIDE_THE_SCHEMA)
    assert not unknown, f"docs/api.md names operations the API does not have: {unknown}"
