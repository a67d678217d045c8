"""Staff pages of the Contacts area: thin views that parse forms and call the domain functions
(consent.directory, consent.privacy, consent.actions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.audit.actors import Actor
from mailwright.consent import actions as consent_actions
from mailwright.consent import directory, privacy
from mailwright.contacts import fields as contact_fields
from mailwright.contacts.models import AttributeDefinition, Contact, Subscription
from mailwright.feedback import timeline
from mailwright.web.contacts.forms import ContactEditForm, ContactForm, EraseForm, SubscribeForm
from mailwright.web.shell import analytics
from mailwright.web.shell.helpers import json_download, paginate, staff_actor


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request):
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        basis = data["basis"].strip()
        subs = [directory.SubscriptionRequest(key, "confirmed", basis) for key in data["topics"]]
        try:
            contact, _ = directory.upsert(
                directory.ContactInput(
                    email=data["email"],
                    name=data["name"],
                    language=data["language"],
                    subscriptions=subs,
                ),
                by=staff_actor(request),
                create_only=True,
            )
        except directory.ContactError as exc:
            field = exc.field if exc.field in form.fields else None
            if exc.field.startswith("subscriptions"):
                field = "basis" if exc.field.endswith(".basis") else "topics"
            form.add_error(field, str(exc))
        else:
            messages.success(request, f"Contact {contact.email} added.")
            return redirect("web:contact_detail", contact.pk)
    return render(request, "web/contacts/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def contact_detail(request, contact_id: int):
    contact = get_object_or_404(Contact, pk=contact_id)
    erased = contact.status == Contact.Status.ERASED
    # POST: the "Subscribe to a topic" form, through directory.upsert.
    subscribe_form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if erased:
            messages.error(request, "This person was erased; their record can only be viewed.")
            return redirect("web:contact_detail", contact.pk)
        done = subscribe_to_topic(subscribe_form, contact, staff_actor(request))
        if done:
            messages.success(request, done)
            return redirect("web:contact_detail", contact.pk)
    context = {
        "contact": contact,
        "erased": erased,
        "subscribe_form": subscribe_form,
        "subscriptions": contact.subscriptions.select_related("topic").order_by("topic__name"),
        "consent_events": contact.consent_events.order_by("-id")[:50],
        "deliveries": contact.deliveries.select_related("campaign").order_by("-id")[:20],
    }
    # The timeline: every event about the person, newest first, 50 a page (?events=N).
    page = paginate(request, timeline.contact_timeline(contact, newest_first=True), "events")
    context["events"] = page
    context["timeline"] = [(entry, analytics.event_details(entry)) for entry in page]
    status = 400 if subscribe_form.errors else 200
    return render(request, "web/contacts/detail.html", context, status=status)


# --- subscribing to a topic ---------------------------------------------------------------------
# Through the same domain function as the API (directory.upsert with one subscription request),
# so the same rules hold: a confirmed subscription needs its consent basis, someone who
# unsubscribed is never re-confirmed, a confirmation is never downgraded, a suppressed address is
# not confirmed. A pending subscription sends no email (nor does the API's): the person confirms
# through a subscription form's double opt-in.


def _state(contact: Contact, key: str) -> str | None:
    return contact.subscriptions.filter(topic__key=key).values_list("state", flat=True).first()


def subscribe_to_topic(form: SubscribeForm, contact: Contact, by: Actor) -> str | None:
    """Subscribe; the success message, or None with the errors on the form."""
    if not form.is_valid():
        return None
    key, state = form.cleaned_data["topic"], form.cleaned_data["state"]
    before = _state(contact, key)
    request = directory.SubscriptionRequest(key, state, form.cleaned_data["basis"].strip())
    try:
        with transaction.atomic():
            directory.upsert(
                directory.ContactInput(email=contact.email, subscriptions=[request]), by=by
            )
    except directory.ContactError as exc:
        form.add_error(None, str(exc))
        return None
    after = _state(contact, key)
    if after == state:
        if before == state:
            return f"Already {state} for this topic: nothing changed."
        name = dict(form.fields["topic"].choices)[key]
        return f"Subscribed to “{name}” ({state})."
    if after == Subscription.State.UNSUBSCRIBED:
        form.add_error(
            None,
            "This person unsubscribed from this topic; only they can subscribe again"
            " (through a subscription form).",
        )
    elif after == Subscription.State.CONFIRMED:
        form.add_error(None, "This subscription is already confirmed.")
    else:
        form.add_error(None, "This address is suppressed: it cannot be confirmed.")
    return None


# --- rectification, access, erasure -------------------------------------------------------------


def _live_contact(request, contact_id: int) -> tuple[Contact, HttpResponse | None]:
    """The contact, or a redirect with a message when it is erased (only viewing is left)."""
    contact = get_object_or_404(Contact, pk=contact_id)
    if contact.status == Contact.Status.ERASED:
        messages.error(request, "This person was erased; their record can only be viewed.")
        return contact, redirect("web:contact_detail", contact.pk)
    return contact, None


class _NotThisContact(Exception):
    pass


EDITABLE = ("name", "language", "tags", "time_zone", "birthday", "anniversary", "attributes")


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, contact_id: int):
    """Rectification: the person's fields and declared attributes, through directory.upsert
    (attributes are merged: an emptied input removes that attribute, others stay)."""
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    definitions = AttributeDefinition.objects.order_by("key")
    form = ContactEditForm(request.POST or None, contact=contact, definitions=definitions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                before = {f: getattr(contact, f) for f in EDITABLE}
                saved, created = directory.upsert(
                    directory.ContactInput(
                        email=contact.email,
                        name=data["name"],
                        language=data["language"],
                        tags=contact_fields.split_tags(data["tags"]),
                        time_zone=data["time_zone"] or None,
                        birthday=data["birthday"],
                        anniversary=data["anniversary"],
                        attributes=form.attributes_as_text(),
                        attributes_as_text=True,
                    ),
                    by=staff_actor(request),
                )
                if created or saved.pk != contact.pk:
                    raise _NotThisContact  # the stored address no longer normalizes to itself
                changed = [f for f in EDITABLE if getattr(saved, f) != before[f]]
                privacy.record_rectification(saved, staff_actor(request), changed)
        except directory.ContactError as exc:
            form.add_error(form.field_for(exc.field), str(exc))
        except _NotThisContact:
            form.add_error(
                None, "This contact's stored address could not be matched; nothing was saved."
            )
        else:
            messages.success(request, f"Contact {saved.email} updated.")
            return redirect("web:contact_detail", saved.pk)
    return render(request, "web/contacts/edit.html", {"form": form, "contact": contact})


@login_required
@require_GET
def contact_consent_proof(request, contact_id: int):
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    return json_download(privacy.consent_proof(contact), f"consent-proof-{contact.pk}.json")


@login_required
@require_POST
def contact_export(request, contact_id: int):
    """Everything held about the person (GDPR access request); a POST because it is audited."""
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    data = privacy.export(contact, by=staff_actor(request))
    return json_download(data, f"contact-{contact.pk}-export.json")


@login_required
@require_http_methods(["GET", "POST"])
def contact_erase(request, contact_id: int):
    """GET: what erasure does and a box to type the address. POST: erase, then back."""
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    form = EraseForm(request.POST or None, email=contact.email)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contact = Contact.objects.select_for_update().get(pk=contact.pk)
            if contact.status != Contact.Status.ERASED:  # not erased meanwhile by someone else
                privacy.erase(contact, by=staff_actor(request))
        messages.success(
            request,
            "The person was erased: their personal data is removed and their address can"
            " never be added again.",
        )
        return redirect("web:contact_detail", contact.pk)
    return render(request, "web/contacts/erase.html", {"form": form, "contact": contact})


@login_required
@require_POST
def contact_unsubscribe(request, contact_id: int):
    """Unsubscribe a person from everything, as an operator (e.g. asked by phone)."""
    contact = get_object_or_404(Contact, pk=contact_id)
    if contact.status == Contact.Status.ERASED:
        messages.error(request, "This person was erased.")
        return redirect("web:contact_detail", contact.pk)
    changed = consent_actions.do_unsubscribe(contact, by=staff_actor(request))
    messages.success(
        request,
        f"Unsubscribed from {len(changed)} topic{'s' if len(changed) != 1 else ''}."
        if changed
        else "Recorded: this person had no active subscription.",
    )
    return redirect("web:contact_detail", contact.pk)
