"""The import pipeline end to end on the real database: counts and report lines, dedupe in
the file and against the database, the consent rules, idempotent re-runs, the hold, the
ledger chain."""

from __future__ import annotations

import pytest

from mailwright.audit.models import AuditEntry
from mailwright.consent import ledger
from mailwright.consent.actions import do_unsubscribe
from mailwright.consent.models import ConsentEvent, Suppression
from mailwright.consent.suppression import do_suppress
from mailwright.contacts.models import AttributeDefinition, Contact, Subscription
from mailwright.imports import service
from mailwright.imports.models import Import
from tests.conftest import ADMIN, make_contact
from tests.imports.util import CLI, issues, run_import, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


def state(email: str, topic: str = "newsletter") -> str | None:
    return (
        Subscription.objects.filter(contact__email_key=email.lower(), topic__key=topic)
        .values_list("state", flat=True)
        .first()
    )


def test_counts_report_lines_and_subscriptions(newsletter, tmp_path):
    AttributeDefinition.objects.create(key="orders", type="number")
    path = write(
        tmp_path,
        "Email,Name,Consent,Orders,Birthday\n"
        "ana@example.pl,Ana Żółć,yes,3,31.12.1990\n"
        "not-an-address,Bad,yes,1,\n"
        "jan@example.pl,Jan,,x,\n"
        "ola@example.pl,Ola,no,2,\n"
        "ANA@example.pl,,yes,,\n",
    )
    mapping = {
        "Email": "email",
        "Name": "name",
        "Consent": "consent",
        "Orders": "attributes.orders",
        "Birthday": "birthday",
    }
    imp = run_import(path, topics=["newsletter"], mapping=mapping)
    assert imp.state == Import.State.DONE
    assert imp.counts == {"imported": 2, "updated": 0, "merged": 1, "rejected": 2, "unchanged": 0}
    report = issues(imp)
    assert [(line, outcome) for line, outcome, _ in report] == [
        (3, "rejected"),
        (4, "rejected"),
        (6, "merged"),
    ]
    assert "Email:" in report[0][2]
    assert report[1][2].startswith("Orders: expected a number")
    assert report[2][2] == "same address as line 2: merged into it"
    ana = Contact.objects.get(email_key="ana@example.pl")
    assert ana.name == "Ana Żółć"
    assert ana.attributes == {"orders": 3}
    assert str(ana.birthday) == "1990-12-31"
    assert state("ana@example.pl") == "confirmed"
    assert state("ola@example.pl") == "pending"  # "no" is no evidence of consent
    events = ConsentEvent.objects.filter(channel="import")
    assert events.count() == 2 and {e.basis for e in events} == {"existing customers"}
    assert ledger.verify().ok
    actions = list(AuditEntry.objects.filter(object_type="import").values_list("action", flat=True))
    assert {"import.create", "import.configure", "import.start", "import.finish"} <= set(actions)
    assert len(actions) == 5  # one audit row per step, not per row (plus risk accepted)


def test_dedupe_against_the_database_by_address_key(newsletter, tmp_path):
    make_contact("Ana@Example.pl", newsletter, name="Ana")
    make_contact("jan@example.pl", newsletter, name="Jan")
    path = write(
        tmp_path,
        "email,name,consent\n"
        "ana@example.pl,Ana Nowak,yes\nJAN@EXAMPLE.PL,Jan,yes\nnew@example.pl,,yes\n",
    )
    imp = run_import(path, topics=["newsletter"])
    assert imp.counts == {"imported": 1, "updated": 1, "merged": 0, "rejected": 0, "unchanged": 1}
    assert Contact.objects.count() == 3
    ana = Contact.objects.get(email_key="ana@example.pl")
    assert (ana.email, ana.name) == ("Ana@example.pl", "Ana Nowak")  # spelling kept, name updated


def test_a_later_duplicate_fills_blanks_and_unites_tags(newsletter, tmp_path):
    path = write(
        tmp_path,
        "email,name,tags,language,consent\n"
        "ana@example.pl,,vip,,\n"
        'Ana@Example.pl,Ana,"vip, pl",pl,yes\n',
    )
    imp = run_import(path, topics=["newsletter"])
    ana = Contact.objects.get()
    assert (ana.name, ana.language, ana.tags) == ("Ana", "pl", ["vip", "pl"])
    assert state("ana@example.pl") == "confirmed"  # the duplicate brought evidence
    assert imp.counts["merged"] == 1 and imp.counts["imported"] == 1


def test_withdrawal_wins(newsletter, tmp_path):
    gone = make_contact("gone@example.pl", newsletter)
    do_unsubscribe(gone, by=ADMIN)
    make_contact("bounced@example.pl", newsletter)
    do_suppress("bounced@example.pl", Suppression.Reason.HARD_BOUNCE, by=ADMIN)
    path = write(
        tmp_path,
        "email,consent\ngone@example.pl,yes\nBOUNCED@example.pl,yes\nfresh@example.pl,yes\n",
    )
    imp = run_import(path, topics=["newsletter"])
    assert state("gone@example.pl") == "unsubscribed"
    assert Contact.objects.get(email_key="gone@example.pl").status == "unsubscribed"
    assert issues(imp) == [(3, "rejected", "suppressed (hard bounce)")]
    assert state("bounced@example.pl") == "confirmed"  # untouched by the import
    assert ConsentEvent.objects.filter(channel="import").count() == 1  # only fresh@


def test_evidenced_confirmation_is_not_downgraded(newsletter, tmp_path):
    make_contact("ana@example.pl", newsletter)  # confirmed through the API: in the ledger
    path = write(tmp_path, "email,consent\nana@example.pl,\n")
    imp = run_import(path, topics=["newsletter"])
    assert state("ana@example.pl") == "confirmed"
    assert imp.counts["unchanged"] == 1


def test_re_running_the_same_file_changes_nothing(newsletter, tmp_path):
    path = write(
        tmp_path,
        "email,name,consent\na@example.pl,A,yes\nb@example.pl,B,\nA@example.pl,,\nbad,,\n",
    )
    first = run_import(path, topics=["newsletter"])
    events, contacts = ConsentEvent.objects.count(), list(Contact.objects.values())
    again = run_import(path, topics=["newsletter"])
    assert again.counts == {"imported": 0, "updated": 0, "merged": 1, "rejected": 1, "unchanged": 2}
    assert first.counts["imported"] == 2
    assert ConsentEvent.objects.count() == events
    assert list(Contact.objects.values()) == contacts
    assert ledger.verify().ok


def test_a_bought_looking_list_is_held_until_confirmed(newsletter, tmp_path):
    rows = "".join(f"person{i}@example.pl,\n" for i in range(10))
    path = write(tmp_path, "email,consent\n" + rows)
    imp = run_import(path, topics=["newsletter"], confirm_risky=False)
    assert imp.state == Import.State.HELD
    assert "none of the 10 rows carries evidence" not in imp.hold_reasons[0]
    assert "consent evidence" in imp.hold_reasons[0]
    assert Contact.objects.count() == 0
    imp = service.confirm(imp, by=CLI)
    imp = service.process(imp.pk)
    assert imp.state == Import.State.DONE and imp.counts["imported"] == 10
    assert state("person1@example.pl") == "pending"
    assert AuditEntry.objects.filter(action__in=["import.hold", "import.confirm"]).count() == 2


def test_invalid_addresses_hold_the_import(newsletter, tmp_path):
    rows = "".join(f"person{i}@example.pl,yes\n" for i in range(8)) + "x,yes\ny@,yes\n"
    imp = run_import(
        write(tmp_path, "email,consent\n" + rows), topics=["newsletter"], confirm_risky=False
    )
    assert imp.state == Import.State.HELD
    assert "20.0 % of the addresses are invalid" in imp.hold_reasons[0]
    assert imp.hygiene["total"] == 10


def test_bad_rows_mixed_with_good_ones_keep_the_good(newsletter, tmp_path):
    imp = run_import(
        write(
            tmp_path,
            "email,name,consent\na@example.pl,A,yes\nb@example.pl,B,yes,extra\nc@example.pl,C,yes\n",
        ),
        topics=["newsletter"],
    )
    assert imp.counts["imported"] == 2 and imp.counts["rejected"] == 1
    assert issues(imp)[0][:2] == (3, "rejected")
