"""Topic input: a blank name is 422 naming the field (not a 409 conflict), and one key
check (consent.topics.check_key) answers for the API, the staff UI and the domain."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.text import capfirst

from mailwright.consent.topics import TopicError, check_key, create_topic
from mailwright.contacts.models import Topic
from tests.api.util import assert_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["", " ", "   \t  ", "\n"])
def test_a_blank_topic_name_is_422_naming_the_field(api, name):
    error = assert_error(api.post("/topics", {"key": "news", "name": name}), 422, "invalid", "name")
    assert "name" in error["message"]
    assert not Topic.objects.exists()


def test_a_duplicate_key_is_still_409(api):
    assert api.post("/topics", {"key": "news", "name": "News"}).status_code == 201
    assert_error(api.post("/topics", {"key": "news", "name": "Again"}), 409, "conflict", "key")


BAD_KEYS = ["News", "news letter", "-news", "k" * 65, "news\n", "", "nëws"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_bad_key_gets_the_same_answer_everywhere(api, admin_user, key):
    with pytest.raises(TopicError) as domain:
        check_key(key)
    message = str(domain.value)
    assert message.startswith("the key must be 1–64 lower-case letters")

    with pytest.raises(TopicError):
        create_topic(key=key, name="News")

    error = assert_error(api.post("/topics", {"key": key, "name": "News"}), 422, "invalid", "key")
    assert error["message"] == message

    staff = Client()
    staff.force_login(admin_user)
    if key == key.strip() and key:  # the form strips; "" is required
        response = staff.post("/topics/", {"key": key, "name": "News"})
        assert response.status_code == 200
        assert response.context["form"].errors["key"] == [capfirst(f"{message}.")]
    assert not Topic.objects.exists()


@pytest.mark.parametrize("key", ["news", "n", "2024-offers", "a_b", "k" * 64])
def test_good_keys(api, key):
    assert check_key(key) == key
    assert api.post("/topics", {"key": key, "name": "News"}).status_code == 201
