"""The 404 and 500 pages: styled with the app's layout (navigation only for a signed-in user on
the 404 page), self-contained 500 page (no database, no user), JSON bodies on API paths."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


@pytest.fixture
def staff(admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.web.error_urls"


def test_signed_in_404_is_styled_with_the_navigation(staff):
    response = staff.get("/contacts/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "/static/web/app.css" in html
    assert 'aria-label="Main"' in html and "Log out" in html  # the app's navigation
    assert 'href="/contacts/"' in html


def test_anonymous_404_is_a_plain_styled_page(anonymous):
    response = anonymous.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "/static/web/app.css" in html
    assert "/no/such/page/" in html
    assert 'aria-label="Main"' not in html and "Log out" not in html


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/contacts", "/api/"])
def test_api_404_stays_json(staff, path):
    response = staff.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/test-only/broken/", "/test-only/database-down/"])
def test_500_is_styled_and_needs_neither_database_nor_user(
    staff, failing_urls, django_assert_num_queries, path
):
    with django_assert_num_queries(0):  # the session, user and organisation are never loaded
        response = staff.get(path)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "/static/web/app.css" in html
    assert "Log out" not in html
    assert "a bug" not in html and "Connection refused" not in html  # no internals shown


def test_api_500_stays_json(anonymous, failing_urls):
    response = anonymous.get("/api/v1/test-only/broken/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "server_error"
