"""Mailbox polling against a real Dovecot (IMAP and POP3) on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mailwright.feedback.mailbox import MailboxConfig, poll
from mailwright.feedback.models import InboundMessage

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = {
    "reply": (
        b"From: reader@example.com\r\nTo: bounces@example.net\r\nSubject: Re: News\r\n"
        b"\r\nThanks!\r\n"
    ),
    "auto": (
        b"From: reader@example.com\r\nTo: bounces@example.net\r\nSubject: Out of office\r\n"
        b"Auto-Submitted: auto-replied\r\n\r\nI am away.\r\n"
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def dovecot():
    if not os.path.exists(DOVECOT):
        if os.environ.get("MW_REQUIRE_DOVECOT") == "1":
            pytest.fail(
                "MW_REQUIRE_DOVECOT=1 but dovecot is not installed"
                " (apt-get install dovecot-imapd dovecot-pop3d)"
            )
        pytest.skip("dovecot not installed")
    # Dovecot's own users must reach this directory: pytest's tmp_path is private (0700).
    tmp_path = Path(tempfile.mkdtemp(prefix="mw-dovecot-"))
    os.chmod(tmp_path, 0o755)  # noqa: S103
    imap_port, pop_port = free_port(), free_port()
    home = tmp_path / "mail" / "bounces"
    maildir(home)
    maildir(home / ".Processed")
    for i, raw in enumerate(MESSAGES.values()):
        (home / "new" / f"{1700000000 + i}.M{i}P1.test").write_bytes(raw)
    (tmp_path / "users").write_text("bounces:{PLAIN}s3cret::::::\n")
    conf = tmp_path / "dovecot.conf"
    conf.write_text(
        f"""
protocols = imap pop3
listen = 127.0.0.1
base_dir = {tmp_path}/run
state_dir = {tmp_path}/state
log_path = {tmp_path}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{tmp_path}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp_path}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={tmp_path}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""
    )
    subprocess.run(["chown", "-R", "65534:65534", str(tmp_path / "mail")], check=True)
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", imap_port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"dovecot did not start: {proc.stderr.read().decode()[-2000:]}")
    try:
        yield {"imap": imap_port, "pop3": pop_port, "home": home}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp_path, ignore_errors=True)


def files(folder: Path) -> int:
    return sum(1 for sub in ("cur", "new") for _ in (folder / sub).iterdir())


def test_imap_flag_marker_processes_each_message_once(dovecot):
    config = MailboxConfig.from_url(f"imap://bounces:s3cret@127.0.0.1:{dovecot['imap']}/INBOX")
    assert poll(config) == 2
    assert InboundMessage.objects.filter(source="imap").count() == 2
    assert poll(config) == 0  # flagged: not read again
    assert files(dovecot["home"]) == 2  # still there, only marked


def test_imap_move_marker(dovecot):
    url = f"imap://bounces:s3cret@127.0.0.1:{dovecot['imap']}/INBOX?marker=move:Processed"
    assert poll(MailboxConfig.from_url(url)) == 2
    assert files(dovecot["home"]) == 0
    assert files(dovecot["home"] / ".Processed") == 2


def test_pop3_reads_then_deletes(dovecot):
    config = MailboxConfig.from_url(f"pop3://bounces:s3cret@127.0.0.1:{dovecot['pop3']}")
    assert poll(config) == 2
    assert InboundMessage.objects.filter(source="pop3").count() == 2
    assert files(dovecot["home"]) == 0


def test_wrong_password_is_an_error_and_nothing_is_lost(dovecot):
    config = MailboxConfig.from_url(f"imap://bounces:nope@127.0.0.1:{dovecot['imap']}/INBOX")
    with pytest.raises(Exception, match=r"(?i)auth|login|fail"):
        poll(config)
    assert files(dovecot["home"]) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://host/x",
        "imap://host",
        "imap://u:p@host/INBOX?marker=burn",
        "pop3://u:p@host?marker=flag",
        "imaps://u:p@host?tls=maybe",
    ],
)
def test_bad_mailbox_urls(url):
    with pytest.raises(ImproperlyConfigured):
        MailboxConfig.from_url(url)
