"""Amazon SNS message signature verification for the Amazon SES webhook (django-anymail does
not verify SNS signatures). Checks, in order: the topic is one we subscribed to
(MW_SES_TOPIC_ARNS), the signing certificate URL is an HTTPS URL on an sns.<region>.amazonaws.com
host, and the RSA signature (SHA1 for SignatureVersion 1, SHA256 for 2) over the canonical
string of the message type. relay_views runs it for /webhooks/relay/amazon_ses/tracking/
after the basic-auth check and before anything is stored."""

from __future__ import annotations

import base64
import re
import urllib.request
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}


class SnsError(ValueError):
    pass


def canonical(message: dict) -> bytes:
    fields = FIELDS.get(message.get("Type"))
    if fields is None:
        raise SnsError("unknown SNS message type")
    out = ""
    for name in fields:
        if name in message and message[name] is not None:
            out += f"{name}\n{message[name]}\n"
        elif name != "Subject":
            raise SnsError(f"SNS message lacks {name}")
    return out.encode()


@lru_cache(maxsize=16)
def fetch_certificate(url: str) -> bytes:
    """Download a signing certificate (only ever from a checked AWS URL)."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - checked https AWS host
        return response.read(65536)


def verify(message: dict, fetch=fetch_certificate) -> None:
    """Raise SnsError unless the message is genuinely from SNS and for our topic."""
    allowed = settings.SES_TOPIC_ARNS
    if not allowed:
        raise SnsError("no SNS topic is configured (MW_SES_TOPIC_ARNS)")
    if message.get("TopicArn") not in allowed:
        raise SnsError("unexpected SNS topic")
    cert_url = message.get("SigningCertURL") or ""
    parts = urlsplit(cert_url)
    if (
        parts.scheme != "https"
        or not CERT_HOST.match(parts.hostname or "")
        or not parts.path.endswith(".pem")
    ):
        raise SnsError("signing certificate URL is not an Amazon SNS URL")
    version = str(message.get("SignatureVersion", ""))
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)  # noqa: S303 - SNS v1
    if algorithm is None:
        raise SnsError("unsupported SNS SignatureVersion")
    try:
        signature = base64.b64decode(message.get("Signature") or "", validate=True)
        certificate = x509.load_pem_x509_certificate(fetch(cert_url))
        certificate.public_key().verify(
            signature, canonical(message), padding.PKCS1v15(), algorithm
        )
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise SnsError(f"SNS signature does not verify ({type(exc).__name__})") from None
