"""`mailwright apikey create|list|revoke`: the key is printed once, stored only as a digest."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from tests.api.util import assert_error

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apikey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_only_the_key_and_stores_only_its_digest(client):
    from mailwright.api.models import ApiKey

    out, err = run("create", "--name", "CRM sync")
    key = out.strip()
    assert out == key + "\n"  # the key alone on stdout, one line
    assert key.startswith("mw_") and len(key) > 40
    assert key not in err
    assert "CRM sync" in err

    record = ApiKey.objects.get()
    assert record.name == "CRM sync"
    assert record.digest == hashlib.sha256(key.encode()).hexdigest()
    for field, value in model_to_dict(record).items():
        assert key not in str(value), field
    assert key not in repr(record) and key not in str(record)

    r = client.get("/api/v1/topics", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    record.refresh_from_db()
    assert record.last_used_at is not None


def test_each_key_is_different():
    assert run("create", "--name", "a")[0] != run("create", "--name", "b")[0]


def test_list_never_prints_keys():
    key1 = run("create", "--name", "first")[0].strip()
    key2 = run("create", "--name", "second")[0].strip()
    out, _ = run("list")
    assert "first" in out and "second" in out
    assert key1 not in out and key2 not in out
    assert key1[10:] not in out  # not even the secret part
    assert "active" in out


def test_revoke_disables_the_key(client):
    from mailwright.api.models import ApiKey

    key = run("create", "--name", "temp")[0].strip()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/topics", headers=headers).status_code == 200
    record = ApiKey.objects.get(name="temp")
    _, err = run("revoke", str(record.id))
    assert str(record.id) in err
    assert_error(client.get("/api/v1/topics", headers=headers), 401, "unauthorized")
    assert "revoked" in run("list")[0]
    with pytest.raises(CommandError):
        run("revoke", str(record.id))
    with pytest.raises(CommandError):
        run("revoke", "999999")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_rejects_bad_names(name):
    from mailwright.api.models import ApiKey

    with pytest.raises(CommandError):
        run("create", "--name", name)
    assert ApiKey.objects.count() == 0
