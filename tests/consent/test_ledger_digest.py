"""The import's hand-written ledger JSON (ledger.Digester) hashes exactly the bytes that
json.dumps writes, which is what `ledger.verify` recomputes: any difference would make every
imported event look edited."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwright.audit.actors import Actor
from mailwright.consent import ledger
from mailwright.consent.models import ConsentEvent
from tests.conftest import make_contact

# Any text, including quotes, backslashes, control characters, non-ASCII and lone surrogates.
text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
ints = st.integers(min_value=0, max_value=2**63 - 1)


@settings(max_examples=500, deadline=None)
@given(
    prev=st.text("0123456789abcdef", min_size=64, max_size=64),
    channel=text,
    actor=text,
    basis=text,
    at=text,
    source_ip=text,
    user_agent=text,
    email=text,
    contact=st.one_of(ints, st.none()),
    topic=text,
    action=text,
    state_from=text,
    state_to=text,
    text_version=st.one_of(st.none(), ints),
)
def test_digester_hashes_the_same_bytes_as_json_dumps(
    prev, channel, actor, basis, at, source_ip, user_agent, email, contact, topic, action,
    state_from, state_to, text_version,
):  # fmt: skip
    digester = ledger.Digester(
        channel=channel, actor=actor, basis=basis, at=at, source_ip=source_ip,
        user_agent=user_agent,
    )  # fmt: skip
    pii = digester.pii(email)
    assert pii == ledger.pii_digest(email, source_ip, user_agent)
    fields = {
        "contact": contact,
        "pii": pii,
        "topic": topic,
        "action": action,
        "from": state_from,
        "to": state_to,
        "basis": basis,
        "text_version": text_version,
        "channel": channel,
        "actor": actor,
        "at": at,
    }
    expected = ledger.event_digest(prev, fields)
    got = digester.event(
        prev, contact=contact, pii=pii, topic=topic, action=action, state_from=state_from,
        state_to=state_to, text_version=text_version,
    )  # fmt: skip
    assert got == expected


@pytest.mark.django_db
def test_batched_events_with_awkward_text_verify(newsletter):
    """append_many with quotes, backslashes, non-ASCII and control characters in the actor,
    basis and addresses: `mailwright consent verify` accepts the chain."""
    contact = make_contact("zoë@example.com", newsletter)
    by = Actor(channel="import", actor='import 7 ("Łukasz" \\ \t ☃)', user_agent='UA "x"\n')
    odd, polish = 'q"uo\\te\u2028@example.com', "żółć@example.com"
    entries = [
        ledger.Entry(contact.pk, odd, "newsletter", "confirm", "", "confirmed"),
        ledger.Entry(contact.pk, polish, "newsletter", "pending", "confirmed", "pending", 3),
    ]
    assert ledger.append_many(entries, by=by, basis='łąka \u0007 "basis"') == 2
    report = ledger.verify()
    assert report.ok, report.reason
    assert report.checked == ConsentEvent.objects.count() == 3
