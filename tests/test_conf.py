"""Environment settings: relay URLs and typed readers fail with a clear reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from mailwright.conf import RelayConfig, env_addr, env_bool, env_float, env_int


def test_relay_url_with_credentials_and_starttls():
    relay = RelayConfig("smtp://user%40x:p%3Ass@smtp.example.com:587?tls=starttls")
    assert (relay.host, relay.port, relay.tls) == ("smtp.example.com", 587, "starttls")
    assert (relay.username, relay.password) == ("user@x", "p:ss")
    assert "p%3Ass" not in relay.display and "***" in relay.display
    assert "p:ss" not in repr(relay)


def test_relay_defaults():
    assert RelayConfig("smtp://127.0.0.1").port == 25
    tls = RelayConfig("smtps://relay.example.com")
    assert (tls.tls, tls.port) == ("tls", 465)


@pytest.mark.parametrize(
    "url",
    [
        "http://relay.example.com",
        "smtp://",
        "smtp://host:99999",
        "smtp://host:587?tls=maybe",
        "relay.example.com:25",
    ],
)
def test_bad_relay_urls_are_refused_without_leaking_the_password(url):
    with pytest.raises(ImproperlyConfigured) as info:
        RelayConfig(url.replace("://", "://u:secret@", 1) if "://" in url else url)
    assert "secret" not in str(info.value)


def test_typed_readers(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_BAD", "twelve")
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_FLOAT", "0.5")
    monkeypatch.setenv("X_ADDR", "127.0.0.1:2525")
    assert env_int("X_INT", 1) == 12 and env_int("X_MISSING", 7) == 7
    assert env_bool("X_BOOL", False) is True
    assert env_float("X_FLOAT", 1.0) == 0.5
    assert env_addr("X_ADDR", "") == ("127.0.0.1", 2525)
    for reader in (env_int, env_float):
        with pytest.raises(ImproperlyConfigured, match="X_BAD"):
            reader("X_BAD", 1)
    with pytest.raises(ImproperlyConfigured, match="X_BAD"):
        env_bool("X_BAD", False)
    with pytest.raises(ImproperlyConfigured, match="HOST:PORT"):
        env_addr("X_BAD", "")


@pytest.mark.parametrize(
    "url",
    [
        "smtp://u:123/45@host:25",
        "smtp://u:ab#cd@host:25",
        "smtp://u:a?b@host:25",
        "smtp://u:p@ss@host:25/x",
    ],
)
def test_passwords_with_special_characters_never_leak(url):
    try:
        relay = RelayConfig(url)
    except ImproperlyConfigured as exc:
        message = str(exc)
    else:
        message = relay.display + repr(relay)
        assert relay.host == "host"
    for secret in ("123/45", "ab#cd", "a?b", "p@ss"):
        assert secret not in message
