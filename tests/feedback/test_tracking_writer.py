"""The tracking writer with a row the database refuses: a real constraint (a trigger that
rejects one event, as a broken row would be rejected) makes one event fail. That event is
dead-lettered with a clear log line; every other open and click, before and after it, is
written; nothing good is lost at shutdown."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from mailwright.feedback.tracking_writer import writer
from tests.feedback.test_tracking import mailed, path  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)

POISON = "poison-agent"
HUMAN = "Mozilla/5.0 (X11; Linux) Firefox/121"


@pytest.fixture
def poisoned_table():
    """The event table refuses any row whose data mentions POISON (a real constraint error
    from the database, IntegrityError, raised inside the writer's INSERT)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER mw_test_poison BEFORE INSERT ON feedback_event "
                f"WHEN NEW.data LIKE '%{POISON}%' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned event refused'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION mw_test_poison() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.data::text LIKE '%{POISON}%' THEN "
                "RAISE EXCEPTION 'poisoned event refused' USING ERRCODE = '23514'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER mw_test_poison BEFORE INSERT ON feedback_event "
                "FOR EACH ROW EXECUTE FUNCTION mw_test_poison()"
            )
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER mw_test_poison")
        else:
            cursor.execute("DROP TRIGGER mw_test_poison ON feedback_event")
            cursor.execute("DROP FUNCTION mw_test_poison()")


@pytest.fixture
def urls(mailed):  # noqa: F811
    html, delivery = mailed
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now() - timedelta(hours=1))
    pixel = path(re.search(r'<img src="(http://[^"]+\.gif)"', html).group(1))
    clicks = [path(u) for u in re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)]
    return pixel, clicks


def events() -> list[Event]:
    # In the order they happened: a click is written once the scanner-burst window has passed.
    return list(Event.objects.filter(type__in=["opened", "clicked"]).order_by("created_at", "id"))


def test_one_refused_event_is_dead_lettered_and_the_rest_keep_flowing(urls, poisoned_table, caplog):
    pixel, clicks = urls
    human, poison = Client(HTTP_USER_AGENT=HUMAN), Client(HTTP_USER_AGENT=POISON)
    assert human.get(pixel).status_code == 200
    assert poison.get(pixel).status_code == 200  # accepted: the request cannot know
    assert human.get(clicks[0]).status_code == 302
    writer.flush()
    assert [e.type for e in events()] == ["opened", "clicked"]
    dead = [r for r in caplog.records if "dead letter" in r.getMessage()]
    assert len(dead) == 1 and dead[0].levelname == "ERROR"
    assert POISON in dead[0].getMessage() and "poisoned event refused" in dead[0].getMessage()
    # Not kept for another try: later opens and clicks are written by the background
    # thread, every 0.2 s as usual, with nothing stuck in front of them.
    caplog.clear()
    assert human.get(clicks[1]).status_code == 302
    assert human.get(pixel).status_code == 200
    deadline = time.monotonic() + 10
    while len(events()) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e.type for e in events()] == ["opened", "clicked", "clicked", "opened"]
    assert not [r for r in caplog.records if "dead letter" in r.getMessage()]
    assert writer.flush() == 0


def test_shutdown_writes_every_good_event_even_with_a_refused_one_among_them(
    urls, poisoned_table, caplog
):
    pixel, clicks = urls
    human, poison = Client(HTTP_USER_AGENT=HUMAN), Client(HTTP_USER_AGENT=POISON)
    for client in [human, poison, human, human]:
        client.get(pixel)
    human.get(clicks[2])
    started = time.monotonic()
    writer.close()  # what the ASGI lifespan shutdown and atexit do
    assert time.monotonic() - started < 5
    assert len(events()) == 4  # 3 human opens and the click
    assert all(POISON not in e.data["user_agent"] for e in events())
    assert sum("dead letter" in r.getMessage() for r in caplog.records) == 1
    assert not any("dropping" in r.getMessage() for r in caplog.records)
    # The writer works again after close (tests and restarts reuse it).
    human.get(pixel)
    assert writer.flush() == 1
