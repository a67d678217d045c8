"""Recording survey responses: reading a rating link's token, telling a person's click from a
link scanner's, and the one action that records a score (or a comment).

One response per person per survey: a later click changes the score (and `updated_at`),
never a second row. Each change is audited, announced as the domain event
"survey.responded" (stored as an event, carried by webhooks), and written to the contact's
number attribute (Survey.attribute, default `survey_<key>`) so segments can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from mailwright import tokens
from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit
from mailwright.campaigns.survey_links import KEY, SCALES
from mailwright.consent import directory
from mailwright.contacts import attribute_store
from mailwright.contacts.models import AttributeDefinition, Contact
from mailwright.delivery.models import Delivery
from mailwright.feedback import tracking
from mailwright.surveys.models import Survey, SurveyResponse

MAX_COMMENT = 4000


class SurveyError(ValueError):
    """The link or the answer cannot be used (forged token, unknown person, bad score)."""


@dataclass(frozen=True)
class Link:
    """What a rating link says, checked: the survey key and scale, the score clicked, the
    person, and the delivery that carried the link (None when it cannot be found)."""

    key: str
    scale: str
    score: int
    contact: Contact
    delivery: Delivery | None


def read_link(token: str) -> Link:
    """The rating link's content; SurveyError if the token is forged, tampered with, made
    for another purpose, or names nobody (an erased or deleted contact)."""
    try:
        payload = tokens.read("survey", token)
    except tokens.BadToken as exc:
        raise SurveyError(str(exc)) from None
    key, scale, score = payload.get("k"), payload.get("sc", "stars"), payload.get("s")
    if not isinstance(key, str) or not KEY.fullmatch(key) or scale not in SCALES:
        raise SurveyError("token is not valid")
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCALES[scale]:
        raise SurveyError("token is not valid")
    contact = Contact.objects.filter(pk=payload.get("c")).first()
    if contact is None or contact.status == Contact.Status.ERASED:
        raise SurveyError("this link names nobody")
    return Link(key, scale, score, contact, _delivery(payload, contact))


def _delivery(payload: dict, contact: Contact) -> Delivery | None:
    rows = Delivery.objects.filter(contact=contact)
    if isinstance(payload.get("d"), int):
        return rows.filter(pk=payload["d"]).first()
    if isinstance(payload.get("m"), int):
        return rows.filter(campaign_id=payload["m"]).first()
    if isinstance(payload.get("x"), int):
        # The service message's delivery (transactional.Message.delivery, a one-to-one).
        return rows.filter(message__id=payload["x"]).first()
    return None


def human_click(link: Link, method: str, ip: str, user_agent: str, now=None) -> bool:
    """May a GET of the link count by itself? Only a click that looks human by the tracking
    rules (SPEC §7.4): no machine reason in the request, and more than
    SCANNER_CLICK_SECONDS after the message was sent (security scanners click within
    seconds of delivery). A link whose delivery is unknown or unsent never counts on a GET."""
    if tracking.machine_reason(method, ip, user_agent):
        return False
    sent_at = link.delivery.sent_at if link.delivery else None
    if sent_at is None:
        return False
    now = now or timezone.now()
    return now - sent_at > timedelta(seconds=tracking.SCANNER_CLICK_SECONDS)


def attribute_key(survey: Survey) -> str:
    """The contact attribute a survey writes: its own setting, else survey_<key>."""
    if survey.attribute:
        return survey.attribute
    return f"survey_{survey.key.replace('-', '_')}"[:64]


def _write_attribute(survey: Survey, contact: Contact, score: int, by: Actor) -> None:
    key = attribute_key(survey)
    found = AttributeDefinition.objects.filter(key=key).values_list("type", flat=True).first()
    if found is None:
        label = f"Survey: {survey.name}"[:200]
        attribute_store.do_define_attribute(key, "number", label, by=by)
    elif found != "number":
        return  # the operator declared it otherwise; the score stays in the survey only
    directory.upsert(directory.ContactInput(email=contact.email, attributes={key: score}), by=by)


def get_survey(key: str, scale: str) -> Survey:
    """The survey with this key, created on first use with the scale its row was made with."""
    survey, _ = Survey.objects.get_or_create(key=key, defaults={"name": key, "scale": scale})
    return survey


@transaction.atomic
def do_record_response(
    link: Link,
    *,
    by: Actor,
    score: int | None = None,
    comment: str | None = None,
) -> SurveyResponse:
    """Record the person's answer: `score` (default: the link's), and the comment when one is
    given (None leaves it as it is). One row per person and survey; a second answer changes
    it. Raises SurveyError if the score is off the survey's scale."""
    survey = get_survey(link.key, link.scale)
    score = link.score if score is None else score
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCALES[survey.scale]:
        low, high = SCALES[survey.scale][0], SCALES[survey.scale][-1]
        raise SurveyError(f"score must be a whole number from {low} to {high}")
    if comment is not None:
        comment = comment.replace("\x00", "").strip()[:MAX_COMMENT]
    now = timezone.now()
    contact = link.contact
    response = _locked_response(survey, contact)
    before, created = None, False
    if response is None:
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    survey=survey,
                    contact=contact,
                    delivery=link.delivery,
                    score=score,
                    comment=comment or "",
                    created_at=now,
                    updated_at=now,
                )
            created = True
        except IntegrityError:  # the same person's other click won the race
            response = _locked_response(survey, contact)
    if not created:
        before = {"score": response.score, "comment": response.comment}
        if score == response.score and (comment is None or comment == response.comment):
            return response  # the same answer again: nothing changes
        response.score = score
        if comment is not None:
            response.comment = comment
        if link.delivery is not None:
            response.delivery = link.delivery
        response.updated_at = now
        response.save(update_fields=["score", "comment", "delivery", "updated_at"])
    after = {"score": response.score, "comment": response.comment, "contact": contact.pk}
    audit.record(by, "survey.respond", "survey", survey.key, before=before, after=after)
    delivery = link.delivery
    emit(
        DomainEvent(
            "survey.responded",
            {
                "survey": survey.key,
                "scale": survey.scale,
                "score": response.score,
                "previous_score": before["score"] if before else None,
                "comment": response.comment,
            },
            email=contact.email,
            contact_id=contact.pk,
            campaign_id=delivery.campaign_id if delivery else None,
            delivery_id=delivery.pk if delivery else None,
            at=now,
        )
    )
    if before is None or before["score"] != response.score:
        _write_attribute(survey, contact, response.score, by)
    return response


def _locked_response(survey: Survey, contact: Contact) -> SurveyResponse | None:
    return SurveyResponse.objects.select_for_update().filter(survey=survey, contact=contact).first()
