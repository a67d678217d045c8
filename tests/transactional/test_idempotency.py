"""The same Idempotency-Key never sends twice: not when requests race in threads (each with
its own database connection), not when they race in two processes, not after a restart.
Run on PostgreSQL too: `tools/run_tests.py tests/transactional/test_idempotency.py`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from mailwright.audit.actors import Actor
from mailwright.campaigns.models import Template
from mailwright.delivery.models import Delivery
from mailwright.transactional.models import Message
from mailwright.transactional.sending import do_send
from tests.delivery.test_crash_recovery import database_url

pytestmark = pytest.mark.django_db(transaction=True)

BY = Actor(channel="api", actor="test")
BODY = {
    "template": "receipt",
    "to": "racer@example.com",
    "data": {"number": "R-1"},
}


@pytest.fixture
def receipt(transactional_db):
    # The starter library's receipt is installed by migrate (and again by each flush).
    Template.objects.filter(key="receipt").delete()
    return Template.objects.create(
        kind="service",
        key="receipt",
        name="Receipt",
        fields={"number": {"type": "string", "required": True}},
        subject="Receipt {{ data.number }}",
        html="<p>Receipt {{ data.number }}</p>",
    )


def test_threads_racing_with_one_key_make_one_message(receipt):
    threads, results, errors = 8, [], []
    barrier = threading.Barrier(threads)

    def send():
        try:
            barrier.wait()
            sent = do_send(**BODY, idempotency_key="race-1", api_key_id=7, by=BY)
            results.append((sent.message.id, sent.replayed))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not errors, errors
    assert len(results) == threads
    assert len({mid for mid, _ in results}) == 1
    assert sum(1 for _, replayed in results if not replayed) == 1
    assert Message.objects.count() == 1
    assert Delivery.objects.count() == 1
    # The same key under another API key is another message.
    other = do_send(**BODY, idempotency_key="race-1", api_key_id=8, by=BY)
    assert not other.replayed and Delivery.objects.count() == 2


SCRIPT = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from mailwright.audit.actors import Actor
    from mailwright.transactional.sending import do_send
    time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
    sent = do_send(template="receipt", to="racer@example.com", data={"number": "R-1"},
                   idempotency_key="proc-1", api_key_id=7, by=Actor(channel="api"))
    print(sent.message.id, sent.replayed)
    """
)


def _processes(tmp_path, count: int, start_at: float) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mailwright.settings",
        "DATABASE_URL": database_url(),
        "MW_DATA_DIR": str(tmp_path),
        "MW_SECRET_KEY": settings.SECRET_KEY,
    }
    return [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]


def test_two_processes_racing_and_a_later_one_make_one_message(receipt, tmp_path):
    procs = _processes(tmp_path, 2, time.time() + 3)
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err[-2000:]
        outputs.append(out.split())
    ids = {o[0] for o in outputs}
    assert len(ids) == 1
    assert sorted(o[1] for o in outputs) == ["False", "True"]
    # A new process (a restart): the key is a row, so it is still known.
    [late] = _processes(tmp_path, 1, 0)
    out, err = late.communicate(timeout=60)
    assert late.returncode == 0, err[-2000:]
    assert out.split() == [ids.pop(), "True"]
    assert Message.objects.count() == 1
    assert Delivery.objects.count() == 1
