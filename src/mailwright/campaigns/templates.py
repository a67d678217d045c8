"""Saving templates: MJML is compiled to HTML with MRML at save time, and every template is
compiled and rendered for realistic contacts so errors (and templates that break the render
limits, sandbox.py) are reported when saved, not when sent."""

from __future__ import annotations

import logging
import threading
from html.parser import HTMLParser

import mrml
from django.utils import timezone

from mailwright.campaigns.branding import apply_brand
from mailwright.campaigns.models import Template
from mailwright.campaigns.render_budget import MAX_STRING
from mailwright.campaigns.rendering import (
    TemplateError,
    recipient_context,
    sample_context,
    validate_template,
)
from mailwright.consent import organisation
from mailwright.consent.brand import brand_context
from mailwright.contacts.models import Contact

log = logging.getLogger(__name__)
EDITORS = ("html", "mjml", "blocks")

MAX_SOURCE = 500_000
MAX_MJML_DEPTH = 100  # nested tags; real templates use ~10-20 (mrml recurses per level)
MJML_STACK_BYTES = 64 * 1024 * 1024  # the compiling thread's stack: >100x what 100 levels use
CHECK_SCAN = 200  # recent contacts looked at for the save check
CHECK_SHAPES = 4  # real contacts rendered, each with a different shape of data

# Tags that never enclose anything in HTML (inside mj-text / mj-raw), so never add depth.
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_stack_lock = threading.Lock()


class _DepthScan(HTMLParser):
    """A streaming, non-recursive pass over the tags: how deeply they nest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        self.open.append(tag)
        if len(self.open) > MAX_MJML_DEPTH:
            raise TemplateError(
                f"tags nest more than {MAX_MJML_DEPTH} levels deep (at <{tag}>);"
                " flatten the layout",
                part="mjml",
                line=self.getpos()[0],
            )

    def handle_endtag(self, tag):
        if tag in self.open:  # close it and whatever was left open inside it
            while self.open.pop() != tag:
                pass


def check_mjml(source: str) -> None:
    """Refuse MJML that would make the compiler recurse too deeply, before compiling."""
    scan = _DepthScan()
    scan.feed(source)
    scan.close()


def _on_big_stack(fn, *args):
    """Run fn in a thread with a known, large stack: how deep mrml may recurse must not
    depend on the stack of the thread that serves the request."""
    result: dict = {}

    def run():
        try:
            result["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    with _stack_lock:  # stack_size() is process-wide: set, start, restore
        previous = threading.stack_size(MJML_STACK_BYTES)
        try:
            thread = threading.Thread(target=run, name="mw-mjml", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def _mrml(source: str):
    # mj-include is disabled: a template must never read files from the server.
    return mrml.to_html(
        source, parser_options=mrml.ParserOptions(include_loader=mrml.noop_loader())
    )


def compile_mjml(source: str, *, brand: dict | None = None) -> str:
    """MJML to HTML; with `brand` (marketing templates) the brand kit is applied first."""
    if len(source) > MAX_SOURCE:
        raise TemplateError(f"longer than {MAX_SOURCE:,} characters", part="mjml")
    check_mjml(source)
    if brand is not None:
        source = apply_brand(source, brand)
    try:
        output = _on_big_stack(_mrml, source)
    except Exception as exc:
        raise TemplateError(f"MJML could not be compiled: {exc}", part="mjml") from None
    if len(output.content) > MAX_STRING:
        raise TemplateError(
            f"the compiled HTML would be {len(output.content):,} characters; at most"
            f" {MAX_STRING:,}",
            part="mjml",
        )
    return output.content


def _shape(contact: Contact) -> tuple:
    attributes = contact.attributes if isinstance(contact.attributes, dict) else {}
    return (
        tuple(sorted((k, type(v).__name__) for k, v in attributes.items())),
        bool(contact.name.strip()),
        bool(contact.tags),
        contact.language,
    )


def check_contexts(subject: str, contacts=None) -> list[dict]:
    """What the save check renders: up to CHECK_SHAPES real contacts whose data differ in
    shape (attribute keys and types, name, tags, language), from `contacts` (default: the
    most recent ones), a synthetic contact with a non-zero id and every attribute key seen,
    and the sample contact (id 0) the preview shows."""
    fields = ("id", "email", "name", "language", "attributes", "tags", "created_at")
    if contacts is None:
        contacts = Contact.objects.filter(erased_at__isnull=True).order_by("-id")
    rows = list(contacts.only(*fields)[:CHECK_SCAN])
    chosen, shapes = [], set()
    for contact in rows:
        shape = _shape(contact)
        if shape not in shapes and len(chosen) < CHECK_SHAPES:
            shapes.add(shape)
            chosen.append(contact)
    every_key: dict = {}
    for contact in rows:
        if isinstance(contact.attributes, dict):
            for key, value in contact.attributes.items():
                every_key.setdefault(key, value)
    synthetic = Contact(
        id=max((c.id for c in rows), default=0) + 1,
        email="template-check@example.com",
        name="Sam Example",
        language="en",
        attributes=every_key,
        tags=sorted(
            {t for c in rows if isinstance(c.tags, list) for t in c.tags if isinstance(t, str)}
        )[:20],
        created_at=timezone.now(),
    )
    org = organisation.context()
    contexts = [sample_context()]
    for contact in [*chosen, synthetic]:
        ctx = recipient_context(contact, None, org, contexts[0]["brand"])
        ctx["campaign"] = {"name": "Sample", "subject": subject}
        ctx["view_online_url"] = contexts[0]["view_online_url"]
        contexts.append(ctx)
    return contexts


def save_template(
    *,
    name: str,
    subject: str,
    html: str | None = None,
    mjml_source: str | None = None,
    text: str = "",
    instance: Template | None = None,
    editor: str | None = None,
    design: dict | None = None,
) -> Template:
    """Validate, compile (MJML with the brand kit) and save a marketing template. `editor`
    and `design` (the block editor's project data) are kept as given; by default the editor
    follows the source."""
    name = (name or "").strip()
    if not name:
        raise TemplateError("the name is empty", part="name")
    if len(name) > 200:
        raise TemplateError("the name is longer than 200 characters", part="name")
    if len(subject) > 998:
        raise TemplateError("the subject is longer than 998 characters", part="subject")
    if bool(html) == bool(mjml_source):
        raise TemplateError("give exactly one of 'html' or 'mjml'", part="html")
    for part, value in (("html", html), ("mjml", mjml_source), ("text", text)):
        if value and len(value) > MAX_SOURCE:
            raise TemplateError(f"longer than {MAX_SOURCE:,} characters", part=part)
    if editor is not None and editor not in EDITORS:
        raise TemplateError(f"editor must be one of {', '.join(EDITORS)}", part="editor")
    if editor == "blocks" and not mjml_source:
        raise TemplateError("the block editor saves MJML", part="mjml")
    compiled_html = compile_mjml(mjml_source, brand=brand_context()) if mjml_source else html
    validate_template(subject, compiled_html, text, check_contexts(subject))
    tpl = instance or Template()
    tpl.name = name
    tpl.subject = subject
    tpl.html = compiled_html
    tpl.mjml = mjml_source or ""
    tpl.text = text or ""
    tpl.editor = editor or ("mjml" if mjml_source else "html")
    tpl.design = design if tpl.editor == "blocks" else None
    tpl.save()
    return tpl


def on_brand_changed(sender, brand, **kwargs) -> None:
    """consent.signals.brand_changed: compile every marketing MJML template again with the
    new brand. One that no longer compiles keeps its previous HTML (logged)."""
    context = brand_context(brand)
    rows = Template.objects.filter(kind=Template.Kind.MARKETING).exclude(mjml="")
    for tpl in rows.only("id", "mjml").iterator():
        try:
            html = compile_mjml(tpl.mjml, brand=context)
        except TemplateError as exc:
            log.warning("template %s not recompiled with the brand: %s", tpl.id, exc)
            continue
        Template.objects.filter(pk=tpl.pk).update(html=html, updated_at=timezone.now())
