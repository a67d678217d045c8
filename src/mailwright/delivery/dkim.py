"""DKIM signing (RFC 6376) with RSA-2048 (rsa-sha256) and Ed25519 (ed25519-sha256, RFC 8463),
key generation and rotation.

Signing is done on bytes with `cryptography` directly: dkimpy costs ~12.8 ms (RSA) / ~1.2 ms
(Ed25519) per message here, this module a fraction of that (docs/dkim-and-dns.md). The
message is never parsed with the `email` package; headers are found with one precompiled
regex split, canonicalized relaxed/relaxed, and the private key is loaded once per signer.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from datetime import timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.db import IntegrityError, transaction
from django.utils import timezone

from mailwright.delivery.models import DkimKey

RSA = DkimKey.Algorithm.RSA.value  # "rsa-sha256"
ED25519 = DkimKey.Algorithm.ED25519.value  # "ed25519-sha256"
ALGORITHMS = (RSA, ED25519)
_ALIASES = {
    "rsa": RSA,
    "rsa-sha256": RSA,
    "rsa2048": RSA,
    "rsa-2048": RSA,
    "ed25519": ED25519,
    "ed25519-sha256": ED25519,
}

# A retired key's DNS record should stay published this long after rotation: mail signed
# with it may still sit in queues (ours and the receivers') and be verified on arrival.
RETIRING_PERIOD = timedelta(days=7)

# Headers signed when present, in this order. From is listed once more than it occurs
# ("oversigned") so that a From added in transit breaks the signature.
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Reply-To",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Feedback-ID",
)
OVERSIGNED = frozenset({"from"})


class InvalidDomain(ValueError):
    """Not a usable DNS domain name for DKIM (d=)."""


class UnknownAlgorithm(ValueError):
    """Not one of rsa-sha256 / ed25519-sha256."""


# --- names ----------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(domain: str) -> str:
    """Lower-case A-label form of a domain (IDNA/UTS-46); raises InvalidDomain."""
    import idna

    raw = (domain or "").strip().rstrip(".")
    if not raw:
        raise InvalidDomain("the domain is empty")
    if "@" in raw:
        raise InvalidDomain(f"{domain!r} looks like an e-mail address; give only the domain")
    if any(c.isspace() for c in raw) or any(c in raw for c in "/\\:;,'\"<>()[]{}!?*#$%&=+"):
        raise InvalidDomain(f"{domain!r} is not a valid domain name: it contains spaces or symbols")
    try:
        ascii_name = idna.encode(raw, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidDomain(f"{domain!r} is not a valid domain name: {exc}") from None
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise InvalidDomain(f"{domain!r} is not a valid domain name: it needs a dot")
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidDomain(f"{domain!r} is not a valid domain name")
    if labels[-1].isdigit():
        raise InvalidDomain(f"{domain!r} is an IP address, not a domain name")
    return ascii_name


def normalize_algorithm(algorithm: str | None) -> str:
    value = _ALIASES.get((algorithm or "").strip().lower())
    if value is None:
        raise UnknownAlgorithm(
            f"unknown DKIM algorithm {algorithm!r}; use one of: ed25519, rsa "
            "(ed25519-sha256, rsa-sha256)"
        )
    return value


def _new_selector(domain: str) -> str:
    """`mw` + YYYYMM + 4 hex characters, e.g. mw202611a1ae: a valid DNS label, unique per
    domain (checked), sortable by month."""
    month = timezone.now().strftime("%Y%m")
    for _ in range(20):
        selector = f"mw{month}{secrets.token_hex(2)}"
        if not DkimKey.objects.filter(domain=domain, selector=selector).exists():
            return selector
    return f"mw{month}{secrets.token_hex(6)}"  # pragma: no cover - 20 collisions in a month


# --- keys -----------------------------------------------------------------------------------


def _make_keypair(algorithm: str) -> tuple[str, str]:
    """(PKCS#8 PEM private key, public key base64 for the p= tag)."""
    if algorithm == RSA:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        private = ed25519.Ed25519PrivateKey.generate()
        # RFC 8463 §4.2: p= is the raw 32-byte public key, not SubjectPublicKeyInfo.
        public_der = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return pem, base64.b64encode(public_der).decode("ascii")


def generate_key(domain: str, algorithm: str = RSA) -> DkimKey:
    """Create and store a new active key for `domain` with a fresh selector. Other keys of the
    domain are left as they are (use rotate() to retire them)."""
    domain = normalize_domain(domain)
    algorithm = normalize_algorithm(algorithm)
    pem, public_b64 = _make_keypair(algorithm)
    for attempt in range(5):
        try:
            with transaction.atomic():
                return DkimKey.objects.create(
                    domain=domain,
                    selector=_new_selector(domain),
                    algorithm=algorithm,
                    private_key_pem=pem,
                    public_key_b64=public_b64,
                    active=True,
                )
        except IntegrityError:  # pragma: no cover - a concurrent generate took the selector
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def rotate(domain: str, algorithm: str | None = None) -> DkimKey:
    """Make a new active key for `domain` and retire the previously active ones (active=False,
    retired_at=now). Retired keys are kept: their DNS record should stay published for
    RETIRING_PERIOD. `algorithm` defaults to that of the newest active key (else RSA)."""
    domain = normalize_domain(domain)
    if algorithm is not None:
        algorithm = normalize_algorithm(algorithm)
    with transaction.atomic():
        previous = list(
            DkimKey.objects.select_for_update()
            .filter(domain=domain, active=True)
            .order_by("-created_at", "-id")
        )
        if algorithm is None:
            algorithm = previous[0].algorithm if previous else RSA
        new = generate_key(domain, algorithm)
        now = timezone.now()
        DkimKey.objects.filter(pk__in=[k.pk for k in previous]).update(active=False, retired_at=now)
    clear_cache()
    return new


def key_state(key: DkimKey, now=None) -> str:
    """ "active", "retiring" (retired less than RETIRING_PERIOD ago: keep its DNS record) or
    "retired" (its DNS record may be removed)."""
    if key.active:
        return "active"
    now = now or timezone.now()
    if key.retired_at is None or now - key.retired_at < RETIRING_PERIOD:
        return "retiring"
    return "retired"


def dns_record(key: DkimKey) -> tuple[str, str]:
    """(TXT record name, TXT record value) to publish for `key`."""
    k = "ed25519" if key.algorithm == ED25519 else "rsa"
    return f"{key.selector}._domainkey.{key.domain}", f"v=DKIM1; k={k}; p={key.public_key_b64}"


def zone_file_line(key: DkimKey) -> str:
    """The record as a BIND zone-file line; values over 255 bytes (RSA) are split into
    several quoted strings, which resolvers join back together (RFC 6376 §3.6.2.2)."""
    name, value = dns_record(key)
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)]
    if len(chunks) == 1:
        return f'{name}. IN TXT "{chunks[0]}"'
    return f"{name}. IN TXT ( " + " ".join(f'"{c}"' for c in chunks) + " )"


# --- canonicalization -----------------------------------------------------------------------

_FIELD_SPLIT = re.compile(rb"\r\n(?![ \t])")  # header fields: a CRLF not followed by WSP
_WSP = re.compile(rb"[ \t]+")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_SPACE_RUNS = re.compile(rb"  +")


def canonicalize_header_relaxed(field: bytes) -> bytes:
    """One header field (name:value, possibly folded, no final CRLF) → `name:value\\r\\n`."""
    name, _, value = field.partition(b":")
    value = _WSP.sub(b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.rstrip(b" \t").lower() + b":" + value + b"\r\n"


def canonicalize_body_relaxed(body: bytes) -> bytes:
    """Relaxed body canonicalization (RFC 6376 §3.4.4), as dkimpy and OpenDKIM do it."""
    # Tabs become spaces, then runs of spaces one space: a literal-led regex finds the
    # runs quickly (a class-led one like [ \t]+ costs ~15x more over a 15 KB body).
    if b"\t" in body:
        body = body.replace(b"\t", b" ")
    if b"  " in body:
        body = _SPACE_RUNS.sub(b" ", body)
    body = body.replace(b" \r\n", b"\r\n")
    end = len(body)
    while body.endswith(b"\r\n", 0, end):  # ignore empty lines at the end
        end -= 2
    if end == 0:
        return b""
    return body[: end + 2] if end < len(body) else body + b"\r\n"


def split_message(message: bytes) -> tuple[list[bytes], bytes]:
    """(header fields without their CRLF, body) of CRLF-terminated message bytes."""
    end = message.find(b"\r\n\r\n")
    if end < 0:
        head, body = message.rstrip(b"\r\n"), b""
    else:
        head, body = message[:end], message[end + 4 :]
    if not head:
        return [], body
    return _FIELD_SPLIT.split(head), body


# --- signing --------------------------------------------------------------------------------


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _fold_tags(tags: list[bytes], first_len: int, width: int = 76) -> bytes:
    """Join `tag=value;` items with spaces, breaking lines (CRLF + space) before `width`."""
    out = bytearray()
    col = first_len
    for tag in tags:
        piece = tag + b";"
        if out and col + 1 + len(piece) > width:
            out += b"\r\n"
            col = 0
        out += b" " + piece
        col += 1 + len(piece)
    return bytes(out)


def _fold_h(names: list[str], width: int = 76) -> list[bytes]:
    """The h= tag split across lines at colons (FWS is allowed around them)."""
    lines: list[bytes] = []
    current = b"h="
    for i, name in enumerate(names):
        piece = name.encode("ascii") + (b":" if i < len(names) - 1 else b"")
        if len(current) + len(piece) + 1 > width - 1:
            lines.append(current)
            current = b""
        current += piece
    lines.append(current + b";")
    return lines


class DkimSigner:
    """Signs CRLF-terminated message bytes for one key. Build it once per key and reuse it
    (signer_for() caches them per process); sign() is thread-safe."""

    __slots__ = ("_key", "_prefix", "algorithm", "domain", "headers", "key_id", "selector")

    def __init__(
        self,
        key_or_pem: DkimKey | str | bytes,
        selector: str | None = None,
        domain: str | None = None,
        algorithm: str | None = None,
        *,
        headers: tuple[str, ...] = SIGNED_HEADERS,
    ) -> None:
        if isinstance(key_or_pem, DkimKey):
            key = key_or_pem
            pem: str | bytes = key.private_key_pem
            selector, domain = key.selector, key.domain
            algorithm = algorithm or key.algorithm
            self.key_id = key.pk
        else:
            pem = key_or_pem
            if not selector or not domain:
                raise ValueError("selector and domain are required with a PEM key")
            self.key_id = None
        self.algorithm = normalize_algorithm(algorithm or ED25519)
        self.domain = normalize_domain(domain)
        if not all(_LABEL.match(label) for label in selector.lower().split(".")):
            raise ValueError(f"invalid DKIM selector {selector!r}")
        self.selector = selector
        self.headers = tuple(headers)
        if isinstance(pem, str):
            pem = pem.encode("ascii")
        private = serialization.load_pem_private_key(pem, password=None)
        if self.algorithm == RSA and not isinstance(private, rsa.RSAPrivateKey):
            raise ValueError("rsa-sha256 needs an RSA private key")
        if self.algorithm == ED25519 and not isinstance(private, ed25519.Ed25519PrivateKey):
            raise ValueError("ed25519-sha256 needs an Ed25519 private key")
        self._key = private
        self._prefix = [
            b"v=1",
            b"a=" + self.algorithm.encode("ascii"),
            b"c=relaxed/relaxed",
            b"d=" + self.domain.encode("ascii"),
            b"s=" + self.selector.encode("ascii"),
        ]

    def __repr__(self) -> str:
        return f"<DkimSigner {self.selector}._domainkey.{self.domain} {self.algorithm}>"

    def _sign_digest_input(self, data: bytes) -> bytes:
        if self.algorithm == RSA:
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        # RFC 8463 §3: PureEdDSA over the SHA-256 hash of the canonicalized header data.
        return self._key.sign(hashlib.sha256(data).digest())

    def sign(self, message: bytes, timestamp: int | None = None, *, crlf: bool = False) -> bytes:
        """Return `message` with a DKIM-Signature header field prepended. `crlf`: the caller
        guarantees every line ends in CRLF (mime.assemble does), so bare LFs need no check."""
        if not crlf and b"\n" in message and message.count(b"\n") != message.count(b"\r\n"):
            message = _BARE_LF.sub(b"\r\n", message)
        fields, body = split_message(message)

        # Index the present header fields by lower-case name, in message order.
        present: dict[bytes, list[bytes]] = {}
        for field in fields:
            colon = field.find(b":")
            if colon <= 0:
                continue
            present.setdefault(field[:colon].rstrip(b" \t").lower(), []).append(field)

        names: list[str] = []
        header_data = bytearray()
        for name in self.headers:
            found = present.get(name.lower().encode("ascii"))
            if not found:
                continue
            # h= selects instances from the bottom up (RFC 6376 §5.4.2).
            for field in reversed(found):
                names.append(name)
                header_data += canonicalize_header_relaxed(field)
            if name.lower() in OVERSIGNED:
                names.append(name)  # selects nothing now; a later added one breaks it
        if b"from" not in present:
            raise ValueError("a DKIM-signed message needs a From header field")
        body_hash = _b64(hashlib.sha256(canonicalize_body_relaxed(body)).digest())

        t = int(time.time()) if timestamp is None else int(timestamp)
        tags = [*self._prefix, b"t=%d" % t]
        value = _fold_tags(tags, len(b"DKIM-Signature:"))
        for line in _fold_h(names):
            value += b"\r\n " + line
        value += b"\r\n bh=" + body_hash + b";\r\n b="
        header_data += canonicalize_header_relaxed(b"DKIM-Signature:" + value)[:-2]

        signature = _b64(self._sign_digest_input(bytes(header_data)))
        # b= is the last tag: fold its base64 (FWS is allowed inside it) into 72-char lines.
        first = 76 - 3
        folded = signature[:first]
        for i in range(first, len(signature), 72):
            folded += b"\r\n " + signature[i : i + 72]
        return b"DKIM-Signature:" + value + folded + b"\r\n" + message


# --- signer lookup --------------------------------------------------------------------------

_signers: dict[tuple[int, str, str], DkimSigner] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _signers.clear()


def _candidate_domains(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def signer_for(domain: str) -> DkimSigner | None:
    """The signer of the newest active key for the From domain, or — when that domain has
    none — of its nearest parent domain that has one (a relaxed-aligned signature, which
    DMARC accepts unless the domain's policy says adkim=s). None when no key applies.

    Makes one database query; call it once per batch or campaign, not per message. Signers
    are cached per process by key id, so the private key is parsed once."""
    try:
        domain = normalize_domain(domain)
    except InvalidDomain:
        return None
    candidates = _candidate_domains(domain)
    keys = list(
        DkimKey.objects.filter(domain__in=candidates, active=True).order_by("-created_at", "-id")
    )
    if not keys:
        return None
    rank = {d: i for i, d in enumerate(candidates)}
    key = min(keys, key=lambda k: rank[k.domain])  # the nearest domain, newest first (stable)
    cache_key = (key.pk, key.domain, key.selector)
    with _lock:
        signer = _signers.get(cache_key)
    if signer is None:
        signer = DkimSigner(key)
        with _lock:
            _signers[cache_key] = signer
    return signer
