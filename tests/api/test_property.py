"""Random JSON-ish payloads at POST /contacts: never a 5xx, always the error shape."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.util import assert_error

pytestmark = pytest.mark.django_db

FIELDS = ["email", "name", "language", "attributes", "subscriptions", "tags", "id", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "a@example.com",
            "User@EXAMPLE.com",
            "a@b.com\r\nBcc: x@y.com",
            "newsletter",
            "confirmed",
            "pending",
            "x" * 400,
            "\u0000",
            "Zażółć@example.com",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
subscription = st.fixed_dictionaries(
    {},
    optional={
        "topic": st.one_of(st.sampled_from(["newsletter", "nope"]), json_values),
        "state": st.one_of(st.sampled_from(["pending", "confirmed", "unsubscribed"]), json_values),
        "basis": st.one_of(st.sampled_from(["", "web form"]), json_values),
    },
)
contact_like = st.fixed_dictionaries(
    {},
    optional={
        "email": st.one_of(st.sampled_from(["a@example.com", "bad", "B@Example.COM"]), json_values),
        "name": json_values,
        "language": st.one_of(st.sampled_from(["en", "pl", "xx"]), json_values),
        "attributes": json_values,
        "subscriptions": st.one_of(st.lists(subscription, max_size=3), json_values),
    },
).flatmap(
    lambda d: st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=2).map(
        lambda extra: {**extra, **d}
    )
)
payloads = st.one_of(contact_like, json_values)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=payloads)
def test_random_payloads_never_500(api, newsletter, payload):
    response = api.post("/contacts", raw=json.dumps(payload))
    assert response.status_code < 500, (payload, response.content)
    if response.status_code >= 400:
        assert_error(response, response.status_code)
    else:
        assert response.status_code == 201
        body = response.json()
        assert isinstance(body["id"], int)
        # clean up so the next example can create the same address again
        from mailwright.contacts.models import Contact

        Contact.objects.filter(pk=body["id"]).delete()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_random_bytes_never_500(api, raw):
    response = api.post("/contacts", raw=raw)
    assert response.status_code < 500, (raw, response.content)
    assert_error(response, response.status_code)
