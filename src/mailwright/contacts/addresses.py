"""Email address normalization: the one definition of "the same address"."""

from __future__ import annotations

import hashlib
import unicodedata

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """The text is not a usable email address; the message says why."""


def normalize_email(raw: str) -> str:
    """Return the canonical form: local part kept, domain lower-cased and IDNA-encoded.

    Raises InvalidAddress with a human-readable reason.
    """
    if not isinstance(raw, str):
        raise InvalidAddress("The email address must be text.")
    text = raw.strip()
    if not text:
        raise InvalidAddress("The email address is empty.")
    if len(text) > 320:
        raise InvalidAddress("The email address is longer than 320 characters.")
    if any(ch in text for ch in "\r\n\x00"):
        raise InvalidAddress("The email address contains a line break or NUL character.")
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    domain = result.ascii_domain or result.domain
    return f"{result.local_part}@{domain.lower()}"


def email_key(address: str) -> str:
    """The identity of an address for deduplication: its normalized form with the local part
    lower-cased too, as every large mailbox provider treats it (`Ana@x.pl` and `ana@x.pl` are
    one person). Takes an address already through `normalize_email`; the spelling given is kept
    for display and sending, this key only decides "the same contact"."""
    local, at, domain = address.rpartition("@")
    return f"{local.lower()}{at}{domain.lower()}" if at else address.lower()


def mailbox_key(raw: str) -> str:
    """One key per mailbox, however the address is spelled: for abuse limits, never for
    sending or storing. Compatibility forms fold to their plain letters (NFKC: fullwidth
    `ａｎａ`, mathematical `𝐚𝐧𝐚`), case folds (`ANA`, `Straße`/`strasse`), and a `+tag`
    subaddress is dropped, since all of these usually reach the same inbox. Hashed, so
    limit counters hold no addresses."""
    text = unicodedata.normalize("NFKC", raw if isinstance(raw, str) else "").casefold()
    try:
        address = normalize_email(text)
    except InvalidAddress:
        address = " ".join(text.split())
    local, at, domain = address.rpartition("@")
    if at and "+" in local.lstrip("+"):
        local = local[: local.index("+", 1)]
    canonical = f"{local}{at}{domain}" if at else address
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:40]
