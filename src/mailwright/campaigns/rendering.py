"""Template rendering in a sandboxed Jinja2 environment, compiled once per campaign.

The context names are stable (SPEC §4.2): contact, unsubscribe_url, preferences_url,
view_online_url, organisation, campaign, brand (the brand kit: logo_url, colours, footer_text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.conf import settings
from jinja2 import (
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError

from mailwright import tokens
from mailwright.campaigns.render_budget import Budget, current
from mailwright.campaigns.sandbox import LimitedSandbox, RenderLimitError
from mailwright.campaigns.survey_links import survey_row
from mailwright.consent import organisation as org_settings
from mailwright.consent.brand import brand_context


class TemplateError(ValueError):
    """A template cannot be compiled or rendered; says where."""

    def __init__(
        self,
        message: str,
        *,
        part: str,
        line: int | None = None,
        undefined: bool = False,
        limit: bool = False,
    ) -> None:
        self.undefined = undefined  # failed only because the data lacked a name
        self.limit = limit  # broke a resource limit (sandbox.py)
        where = f"{part}, line {line}" if line else part
        super().__init__(f"{where}: {message}")
        self.part = part
        self.line = line
        self.reason = message


def _environment(autoescape: bool) -> LimitedSandbox:
    env = LimitedSandbox(
        autoescape=select_autoescape(default=autoescape, default_for_string=autoescape),
        undefined=Undefined,
        trim_blocks=False,
    )
    env.globals["survey_row"] = survey_row  # {{ survey_row("delivery", scale="stars") }}
    return env


_HTML_ENV = _environment(autoescape=True)
_TEXT_ENV = _environment(autoescape=False)


@dataclass(frozen=True)
class CompiledTemplate:
    subject: object
    html: object
    text: object

    def render(self, context: dict) -> tuple[str, str, str]:
        """Return (subject, html, text) for one recipient. The three parts share one budget
        (sandbox.py): MW_TEMPLATE_RENDER_SECONDS, loop iterations, characters produced."""
        subject, html, text, _, _ = self.render_watching(context, ())
        return subject, html, text

    def render_watching(self, context: dict, watch: tuple) -> tuple[str, str, str, int, int]:
        """`render`, also telling which of the `watch` values (bit 1 << i for watch[i]) the
        HTML and the text part printed as they are, e.g. {{ unsubscribe_url }}: what decides
        whether this recipient's message shows the compliance links (compose.py)."""
        b = Budget(settings.TEMPLATE_RENDER_SECONDS)
        if watch:
            b.watch = {id(value): 1 << i for i, value in enumerate(watch) if value}
        token = current.set(b)
        try:
            subject = _render_part("subject", self.subject, context)
            b.seen = 0
            html = _render_part("html", self.html, context)
            seen_html, b.seen = b.seen, 0
            text = _render_part("text", self.text, context)
            seen_text = b.seen
        finally:
            current.reset(token)
        # A subject is one line, whatever the data held.
        return " ".join(subject.split()), html, text, seen_html, seen_text


def _render_part(part: str, tpl, context: dict) -> str:
    try:
        return tpl.render(context)
    except RenderLimitError as exc:
        raise TemplateError(f"template limit: {exc}", part=part, limit=True) from None
    except RecursionError:
        raise TemplateError(
            "template limit: macros or loops nest too deeply", part=part, limit=True
        ) from None
    except MemoryError:
        raise TemplateError("template limit: out of memory", part=part, limit=True) from None
    except SecurityError as exc:
        raise TemplateError(f"not allowed in templates: {exc}", part=part) from None
    except UndefinedError as exc:
        raise TemplateError(str(exc), part=part, undefined=True) from None
    except Exception as exc:  # a template bug must not crash a worker
        raise TemplateError(f"{type(exc).__name__}: {exc}", part=part) from None


def compile_template(subject: str, html_source: str, text_source: str = "") -> CompiledTemplate:
    """Compile the three parts; a syntax error names the part and the line."""
    text_source = text_source or html_to_text(html_source)
    compiled = []
    for part, env, source in (
        ("subject", _TEXT_ENV, subject),
        ("html", _HTML_ENV, html_source),
        ("text", _TEXT_ENV, text_source),
    ):
        try:
            compiled.append(env.from_string(source))
        except TemplateSyntaxError as exc:
            raise TemplateError(exc.message or "syntax error", part=part, line=exc.lineno) from None
    return CompiledTemplate(*compiled)


def validate_template(
    subject: str, html_source: str, text_source: str = "", contexts: list[dict] | None = None
) -> None:
    """Compile, then render once per context (default: the sample contact); raise
    TemplateError if compiling or any render fails. Callers pass realistic contacts
    (templates.check_contexts), so work that depends on the data is exercised too."""
    if not subject.strip():
        raise TemplateError("the subject is empty", part="subject")
    compiled = compile_template(subject, html_source, text_source)
    for context in contexts or [sample_context()]:
        try:
            compiled.render(context)
        except TemplateError as exc:
            # A contact may lack a custom attribute; a template that needs one is not wrong
            # for that. Anything else (limits, sandbox violations, type errors) is.
            if not exc.undefined:
                raise


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "script", "head", "title"}:
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag in {"style", "script", "head", "title"} and self._skip:
            self._skip -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "a" and self._href:
            if not self._href.startswith("#"):
                self.parts.append(f" ({self._href})")
            self._href = None

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(source: str) -> str:
    """A readable plain-text part from HTML; Jinja expressions pass through untouched."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def contact_context(contact) -> dict:
    return {
        "id": contact.id,
        "email": contact.email,
        "name": contact.name,
        "first_name": contact.first_name,
        "language": contact.language,
        "attributes": dict(contact.attributes or {}),
        "tags": list(contact.tags or []),
        "created_at": contact.created_at,
    }


def recipient_context(
    contact, campaign, organisation: dict | None = None, brand: dict | None = None
) -> dict:
    token_payload = {"c": contact.id}
    if campaign is not None:
        token_payload["m"] = campaign.id
    base = settings.BASE_URL
    ctx = {
        "contact": contact_context(contact),
        "unsubscribe_url": f"{base}/u/{tokens.make('unsubscribe', token_payload)}",
        "preferences_url": f"{base}/p/{tokens.make('preferences', {'c': contact.id})}",
        "view_online_url": "",
        "organisation": organisation or _organisation(),
        "brand": brand if brand is not None else brand_context(),
        "campaign": {"id": campaign.id, "name": campaign.name, "subject": campaign.template.subject}
        if campaign
        else {},
    }
    if campaign is not None:
        view = tokens.make("view_online", {"c": contact.id, "m": campaign.id})
        ctx["view_online_url"] = f"{base}/v/{view}"
    return ctx


def sample_context() -> dict:
    base = settings.BASE_URL
    return {
        "contact": {
            "id": 0,
            "email": "sample@example.com",
            "name": "Sam Example",
            "first_name": "Sam",
            "language": "en",
            "attributes": {},
            "tags": [],
            "created_at": None,
        },
        "unsubscribe_url": f"{base}/u/sample",
        "preferences_url": f"{base}/p/sample",
        "view_online_url": f"{base}/v/sample",
        "organisation": _organisation(),
        "brand": brand_context(),
        "campaign": {"id": 0, "name": "Sample", "subject": "Sample"},
    }


def _organisation() -> dict:
    return org_settings.context()
