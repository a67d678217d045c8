"""A security scanner following every link of a message is told apart from a person although
its clicks reach the tracking writer in different flushes (every 0.2 s) or different web
processes: the writer holds a click until the burst window has passed, and looks at the
delivery's clicks already stored."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from mailwright.feedback.tracking_writer import FLUSH_SECONDS, writer
from tests.feedback.test_tracking import mailed, path  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)
BROWSER = "Mozilla/5.0 (Windows NT 10.0) Chrome/120"


@pytest.fixture
def links(mailed):  # noqa: F811
    html, delivery = mailed
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now() - timedelta(hours=1))
    return [path(u) for u in re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)]


def clicks() -> list[Event]:
    return list(Event.objects.filter(type="clicked").order_by("created_at", "id"))


def let_the_background_flush_run() -> None:
    time.sleep(FLUSH_SECONDS * 3)


def test_a_burst_spread_over_several_background_flushes_is_a_scanner(links):
    client = Client(HTTP_USER_AGENT=BROWSER)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for step, link in enumerate(links):
            if step:
                clock.shift(timedelta(seconds=0.7))
            assert client.get(link).status_code == 302  # the redirect is never held up
            let_the_background_flush_run()
        assert clicks() == []  # still inside the burst window: held
        clock.shift(timedelta(seconds=5))
        writer.flush()
    stored = clicks()
    assert len(stored) == 3
    assert all(e.machine for e in stored), [e.data for e in stored]
    assert {e.data["machine_reason"] for e in stored} == {
        "clicked every link at once (security scanner)"
    }


def test_clicks_stored_by_another_process_count_toward_the_burst(links):
    client = Client(HTTP_USER_AGENT=BROWSER)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for link in links[:2]:
            client.get(link)
            writer.flush()  # written at once, as another web process's writer would
            clock.shift(timedelta(seconds=0.5))
        client.get(links[2])
        writer.flush()
    first, second, third = clicks()
    assert third.machine and "every link" in third.data["machine_reason"]
    # What was stored before the burst showed stays as it was written.
    assert not first.machine and not second.machine


def test_a_person_reading_and_clicking_is_a_person(links):
    client = Client(HTTP_USER_AGENT=BROWSER)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(links[0])
        clock.shift(timedelta(seconds=1))
        client.get(links[1])  # two links within the window are not "every link"
        let_the_background_flush_run()
        clock.shift(timedelta(seconds=30))
        client.get(links[2])
        let_the_background_flush_run()
        clock.shift(timedelta(seconds=5))
        writer.flush()
    stored = clicks()
    assert len(stored) == 3 and not any(e.machine for e in stored)
