"""Hostile templates (issue 12 item 8): SSTI payloads, gigantic loops and strings, macro
recursion and 50 MB sources are refused with a clear message, through the API and the
template editor form, without harming the server: the next request is answered, memory stays
bounded, and an oversized body is refused by its declared size before it is read."""

from __future__ import annotations

import json
import socket
import time

import psutil
import pytest
from django.urls import reverse

from mailwright.campaigns.models import Template
from tests.api.util import assert_error

PAYLOADS = {
    "mro": ("{{ ''.__class__.__mro__ }}", "not allowed in templates"),
    "globals": ("{{ cycler.__init__.__globals__ }}", "not allowed in templates"),
    "context": ("{{ self._TemplateReference__context }}", "not allowed in templates"),
    "subclasses": ("{{ ().__class__.__base__.__subclasses__() }}", "not allowed in templates"),
    "format-attr": ("{{ '{0.__class__}'.format(1) }}", "not allowed"),
    "big-range": ("{% for x in range(10**9) %}{{ x }}{% endfor %}", "Range too big"),
    "nested-loops": (
        "{% for a in range(300) %}{% for b in range(300) %}{% for c in range(300) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "loops run more than 50,000 times",
    ),
    "huge-string": ("{{ 'a'*10**9 }}", "1,000,000,000 characters long"),
    "macro-recursion": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "nest too deeply"),
    "typo": ("{{ contcat.name }}", "'contcat' is not a template variable"),
}


def rss() -> int:
    return psutil.Process().memory_info().rss


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_payload_is_refused_through_the_api_and_the_server_goes_on(api, name):
    source, says = PAYLOADS[name]
    before, started = rss(), time.monotonic()
    response = api.post("/templates", {"name": "T", "subject": "Hi", "html": f"<p>{source}</p>"})
    error = assert_error(response, 422, "template_error", "html")
    assert says in error["message"], error
    assert time.monotonic() - started < 10
    assert rss() - before < 100 * 1024 * 1024  # nothing near the size asked for was built
    assert not Template.objects.filter(name="T").exists()
    ok = api.post("/templates", {"name": "OK", "subject": "Hi", "html": "<p>fine</p>"})
    assert ok.status_code == 201, ok.content


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["mro", "big-range", "huge-string", "macro-recursion"])
def test_payload_is_a_form_error_in_the_template_editor(client, admin_user, name):
    client.force_login(admin_user)
    source, says = PAYLOADS[name]
    response = client.post(
        reverse("web:template_new"),
        {"name": "T", "subject": "Hi", "source_format": "html", "source": source, "text": ""},
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Template.objects.filter(name="T").exists()
    assert client.get(reverse("web:template_list")).status_code == 200


def raw_post(
    live_server, path: str, declared: int, headers: str = "", kind: str = "application/json"
) -> tuple[bytes, float]:
    """POST declaring `declared` bytes but sending only 64 KiB: a server that read the body
    before refusing it would wait for the rest; one that checks the size answers at once."""
    host, port = live_server.thread.host, live_server.thread.port
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {declared}\r\n{headers}\r\n".encode()
        )
        sock.sendall(b'{"name": "T", "subject": "Hi", "html": "' + b"x" * 65536)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < _length(reply):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    return reply, time.monotonic() - started


def _length(reply: bytes) -> int:
    for line in reply.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


@pytest.mark.django_db(transaction=True)
def test_a_50_mb_source_is_refused_by_size_before_it_is_read(live_server, api_key, client):
    before = rss()
    reply, took = raw_post(
        live_server, "/api/v1/templates", 50 * 1024 * 1024, f"Authorization: Bearer {api_key}\r\n"
    )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(body)["error"]["code"] == "too_large"
    assert took < 5  # it did not wait for the 50 MB
    assert rss() - before < 30 * 1024 * 1024
    # and the server keeps answering
    ok = client.post(
        "/api/v1/templates",
        json.dumps({"name": "OK", "subject": "Hi", "html": "<p>fine</p>"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert ok.status_code == 201


@pytest.mark.django_db
def test_a_too_long_source_within_the_body_limit_is_refused_by_length(api):
    response = api.post("/templates", {"name": "T", "subject": "Hi", "html": "x" * 600_000})
    assert "longer than 500,000 characters" in assert_error(response, 422)["message"]


@pytest.mark.django_db(transaction=True)
def test_a_50_mb_source_through_the_editor_form_is_refused_with_a_message(
    live_server, admin_user, client
):
    client.force_login(admin_user)
    token = "a" * 32
    headers = (
        f"Cookie: sessionid={client.cookies['sessionid'].value}; csrftoken={token}\r\n"
        f"X-CSRFToken: {token}\r\n"
    )
    reply, took = raw_post(
        live_server,
        "/templates/new/",
        50 * 1024 * 1024,
        headers,
        "application/x-www-form-urlencoded",
    )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head  # before: a bare "Bad Request (400)"
    page = body.decode()
    assert "larger than 5.0 MB" in page and "refused before it was read" in page
    assert took < 5
    assert client.get(reverse("web:template_list")).status_code == 200
