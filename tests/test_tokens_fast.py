"""tokens.make builds Django signing tokens itself (a cached derived key + hmac.digest):
they must be byte-for-byte what django.core.signing.dumps makes, verify with tokens.read,
stay bound to their purpose, and follow SECRET_KEY changes. short_mac is a plain
HMAC-SHA256 cut to 12 hex digits."""

from __future__ import annotations

import hashlib
import hmac
import time
import types

import pytest
from django.core import signing

from mailwright import tokens

PURPOSES = sorted(tokens.PURPOSES)
PAYLOADS = [
    {"c": 1},
    {"c": 123456789, "m": 42},
    {"m": 7, "c": 3},  # key order is kept, as Django keeps it
    {"c": 5, "name": "Zoë Ångström ✓", "tags": ["a", "b"], "x": None, "ok": True},
    {},
]


def salt(purpose: str) -> str:
    return f"mailwright.token.{purpose}"


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock seen by tokens.make and by Django's signing (both read time.time()
    through their module's `time`), so a token and its reference are made in the same
    second. `clock.now` can be moved."""

    frozen = types.SimpleNamespace(now=1_767_225_600.25)  # 2026-01-01T00:00:00.25Z
    fake_time = types.SimpleNamespace(time=lambda: frozen.now)
    monkeypatch.setattr("mailwright.tokens.time", fake_time)
    monkeypatch.setattr("django.core.signing.time", fake_time)
    return frozen


def reference(purpose: str, payload: dict) -> str:
    return signing.dumps(payload, salt=salt(purpose), compress=False)


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_make_is_exactly_django_dumps_and_read_accepts_it(clock, purpose, payload):
    token = tokens.make(purpose, payload)
    assert token == reference(purpose, payload)
    assert tokens.read(purpose, token) == payload
    assert signing.loads(token, salt=salt(purpose)) == payload


@pytest.mark.parametrize("now", [0.0, 0.999, 61.5, 1_767_225_600.999, 4_102_444_800.0])
def test_the_timestamp_is_djangos_whole_second_base62(clock, now):
    clock.now = now
    token = tokens.make("unsubscribe", {"c": 9})
    assert token == reference("unsubscribe", {"c": 9})
    assert token.split(":")[1] == signing.b62_encode(int(now))


def test_make_follows_the_real_clock():
    """Unfrozen: the token carries the current second (retried across a second boundary)."""
    for _ in range(5):
        before = int(time.time())
        token = tokens.make("view_online", {"c": 1, "m": 2})
        expected = reference("view_online", {"c": 1, "m": 2})
        if int(time.time()) == before:
            break
    else:  # pragma: no cover - five boundaries in a row
        pytest.fail("could not make two tokens in the same second")
    assert token == expected
    assert signing.b62_decode(token.split(":")[1]) == before


def test_expiry_is_measured_from_the_time_make_used(clock):
    """optin tokens expire after 7 days: make must stamp its own (frozen) time."""
    made_at = clock.now
    fresh = tokens.make("optin", {"c": 1})
    clock.now = made_at + 7 * 24 * 3600 - 5
    assert tokens.read("optin", fresh) == {"c": 1}
    clock.now = made_at + 7 * 24 * 3600 + 5
    with pytest.raises(tokens.BadToken, match="expired"):
        tokens.read("optin", fresh)
    clock.now = made_at + 10 * 365 * 24 * 3600  # no expiry for the others
    assert tokens.read("unsubscribe", tokens.make("unsubscribe", {"c": 1})) == {"c": 1}


@pytest.mark.parametrize("made_for", PURPOSES)
def test_a_token_never_verifies_for_another_purpose(clock, made_for):
    token = tokens.make(made_for, {"c": 1, "m": 2})
    for other in PURPOSES:
        if other == made_for:
            assert tokens.read(other, token) == {"c": 1, "m": 2}
        else:
            with pytest.raises(tokens.BadToken):
                tokens.read(other, token)


def test_unknown_purposes_are_refused_both_ways():
    with pytest.raises(ValueError, match="unknown token purpose"):
        tokens.make("nope", {"c": 1})
    with pytest.raises(ValueError, match="unknown token purpose"):
        tokens.read("nope", tokens.make("unsubscribe", {"c": 1}))


def test_tampered_tokens_are_refused(clock):
    token = tokens.make("preferences", {"c": 1})
    value, ts, mac = token.split(":")
    forged_payload = signing.b64_encode(b'{"c":2}').decode()
    other_mac = tokens.make("preferences", {"c": 2}).split(":")[2]
    for forged in (
        f"{forged_payload}:{ts}:{mac}",
        f"{value}:{ts}:{other_mac}",
        f"{value}:{signing.b62_encode(int(clock.now) + 1)}:{mac}",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token + "x" * 2000,
        "",
    ):
        with pytest.raises(tokens.BadToken):
            tokens.read("preferences", forged)


def test_a_new_secret_key_invalidates_old_tokens_and_signs_new_ones(clock, settings):
    settings.SECRET_KEY = "first secret key for the token tests, long enough to be fine"
    old = {p: tokens.make(p, {"c": 1}) for p in PURPOSES}  # fills the derived-key cache

    settings.SECRET_KEY = "second secret key for the token tests, also long enough"
    for purpose in PURPOSES:
        with pytest.raises(tokens.BadToken):
            tokens.read(purpose, old[purpose])
        new = tokens.make(purpose, {"c": 1})
        assert new != old[purpose]
        assert new == reference(purpose, {"c": 1})  # not the key cached for the old secret
        assert tokens.read(purpose, new) == {"c": 1}

    settings.SECRET_KEY = "first secret key for the token tests, long enough to be fine"
    for purpose in PURPOSES:  # back again: the old key, from cache or not, still right
        assert tokens.make(purpose, {"c": 1}) == old[purpose]
        assert tokens.read(purpose, old[purpose]) == {"c": 1}


def test_many_secret_keys_overflow_the_cache_without_mixing_keys(clock, settings):
    for i in range(150):
        settings.SECRET_KEY = f"rotating secret number {i:03d} for the cache bound test"
        purpose = PURPOSES[i % len(PURPOSES)]
        token = tokens.make(purpose, {"c": i})
        assert token == reference(purpose, {"c": i})
        assert tokens.read(purpose, token) == {"c": i}
    assert len(tokens._derived) <= 65


# --- short MACs ------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["verp", "tracking", "unsubscribe"])
@pytest.mark.parametrize("text", ["", "a", "1k2.3f.0", "o1k2.3f", "zoë ✓", "x" * 500])
def test_short_mac_is_hmac_sha256_cut_to_12_hex_digits(settings, purpose, text):
    settings.SECRET_KEY = "short mac secret key for the tests, long enough to be fine"
    key = f"mailwright.token.{purpose}:{settings.SECRET_KEY}".encode()
    assert tokens.short_mac_key(purpose) == key
    expected = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:12]
    mac = tokens.short_mac(purpose, text)
    assert mac == expected
    assert len(mac) == 12 and all(ch in "0123456789abcdef" for ch in mac)


def test_short_mac_is_bound_to_purpose_and_secret(settings):
    settings.SECRET_KEY = "short mac secret key one, long enough for the tests"
    verp = tokens.short_mac("verp", "1k")
    assert tokens.short_mac("tracking", "1k") != verp
    assert tokens.short_mac("verp", "1l") != verp
    key_before = tokens.short_mac_key("verp")

    settings.SECRET_KEY = "short mac secret key two, long enough for the tests"
    assert tokens.short_mac_key("verp") != key_before
    assert tokens.short_mac("verp", "1k") != verp
    assert tokens.read_verp(tokens.verp_token(1234)) == 1234
    ref = tokens.verp_token(1234).split("-")[0]
    old_verp = f"{ref}-{hmac.new(key_before, ref.encode(), hashlib.sha256).hexdigest()[:12]}"
    with pytest.raises(tokens.BadToken):
        tokens.read_verp(old_verp)
