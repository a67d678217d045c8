"""Deeply nested MJML used to overflow the MRML compiler's stack and kill the web process.
Nesting is now measured with a streaming scan before compiling, and the compiler runs on a
thread with a known stack, whatever thread serves the request."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.api.util import assert_error

pytestmark = pytest.mark.django_db


def nested(tag: str, depth: int) -> str:
    inner = "<mj-column><mj-text>Hi</mj-text></mj-column>"
    return f"<mjml><mj-body>{f'<{tag}>' * depth}{inner}{f'</{tag}>' * depth}</mj-body></mjml>"


@pytest.mark.parametrize("tag", ["mj-wrapper", "mj-section", "mj-column"])
def test_deep_mjml_is_refused_and_the_web_process_lives_on(api, tag):
    source = nested(tag, 2000)
    assert len(source) > 40_000
    response = api.post("/templates", {"name": "deep", "subject": "Hi", "mjml": source})
    error = assert_error(response, 422, "template_error", "mjml")
    assert "nest more than 100 levels deep" in error["message"], error
    # Still serving (before: the process died of a stack overflow in mrml).
    assert api.get("/templates").status_code == 200
    ok = api.post("/templates", {"name": "ok", "subject": "Hi", "mjml": nested(tag, 3)})
    assert ok.status_code == 201, ok.content


def test_html_void_tags_inside_mjml_do_not_count_as_nesting(api):
    text = "line<br>" * 500 + '<img src="https://example.com/a.png">' * 200
    source = (
        "<mjml><mj-body><mj-section><mj-column>"
        f"<mj-text>{text}</mj-text></mj-column></mj-section></mj-body></mjml>"
    )
    response = api.post("/templates", {"name": "brs", "subject": "Hi", "mjml": source})
    assert response.status_code == 201, response.content


CHILD = """
import threading, django
django.setup()
from mailwright.campaigns.templates import MAX_MJML_DEPTH, compile_mjml
depth = MAX_MJML_DEPTH - 2  # mjml and mj-body are two levels
source = "<mjml><mj-body>" + "<mj-wrapper>" * depth + "</mj-wrapper>" * depth + "</mj-body></mjml>"
out = {}
threading.stack_size(256 * 1024)  # a small request thread (musl's default is 128 KB)
t = threading.Thread(target=lambda: out.setdefault("html", compile_mjml(source)))
t.start()
t.join()
print("compiled", len(out["html"]))
"""


def test_deepest_allowed_mjml_compiles_even_from_a_small_stack(tmp_path):
    """In-process crash safety does not depend on the calling thread's stack size."""
    env = {
        "DJANGO_SETTINGS_MODULE": "mailwright.settings",
        "MW_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.startswith("compiled")
